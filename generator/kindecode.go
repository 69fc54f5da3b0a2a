package generator

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// A hand decoder from the resolver's tree (after prepareNodes) into
// kin-openapi's types, giving exactly what kin-openapi v0.153.0's own
// decode gives (its UnmarshalYAML methods over go.yaml.in/yaml/v4's
// reflection decode). That decode was 1.9 of 2.3 CPU-seconds of loading the
// 5,000-operation synthetic spec: per struct it decodes through reflection,
// then looks every declared field up again in the mapping (checkDeclaredFields),
// collects the undeclared keys (collectExtensions) and walks the any-typed
// fields again (normalizeAnyFields); every mapping's keys are compared pairwise
// for duplicates. This walks each node once.
//
// What it mirrors, from kin-openapi's native_yaml*.go and refs.go:
//   - every key a type does not declare, x- or not, is an extension, decoded
//     into an any; an any holds float64 for every number (normalizeDecoded),
//     map[string]any and []any for collections;
//   - a string field takes a !!str scalar, or keeps "" for a null; any other
//     scalar is refused there (requireStringScalar); a list of strings keeps
//     the place of a null as "" (stringList);
//   - a null leaves a field at its zero value, and is a nil entry in a map or
//     a list of pointers;
//   - a $ref wrapper whose $ref is a non-empty string holds only Ref (and
//     Summary, Description): with other keys beside it, it keeps unexported
//     fields (the sibling names, the sibling schema), so such a node is
//     decoded by kin-openapi itself, as is the value of a rarely used field
//     (callbacks, links).
//
// Anything else -- a tag it does not know, an alias, a merge key, a key
// written twice, a scalar where kin-openapi would convert or refuse it, a
// node of an unexpected kind -- makes it return errSlowDecode, and the caller
// decodes the whole item through kin-openapi, so documents and error
// messages are exactly as before. TestKinDecodeOracle holds it to kin-openapi
// on every document the tests know.

// errSlowDecode says the hand decoder does not take this node: the caller
// decodes it through kin-openapi.
var errSlowDecode = errors.New("decode through kin-openapi")

// fastPathItem decodes one path item by hand, or returns errSlowDecode.
func fastPathItem(n *yaml.Node) (item *openapi3.PathItem, err error) {
	defer func() {
		if r := recover(); r != nil {
			item, err = nil, errSlowDecode // kin-openapi's decode has the last word
		}
	}()
	return kdPathItem(n)
}

// kdPairs checks that n is a mapping the hand decoder can read (string keys,
// no merge key, no key written twice) and calls f for each entry.
func kdPairs(n *yaml.Node, f func(k string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode || n.Tag != "!!map" || len(n.Content)%2 != 0 {
		return errSlowDecode
	}
	c := n.Content
	for i := 0; i < len(c); i += 2 {
		k := c[i]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" || k.Value == "<<" {
			return errSlowDecode
		}
	}
	if len(c) <= 16 {
		for i := 0; i < len(c); i += 2 {
			for j := i + 2; j < len(c); j += 2 {
				if c[i].Value == c[j].Value {
					return errSlowDecode
				}
			}
		}
	} else {
		seen := make(map[string]struct{}, len(c)/2)
		for i := 0; i < len(c); i += 2 {
			if _, ok := seen[c[i].Value]; ok {
				return errSlowDecode
			}
			seen[c[i].Value] = struct{}{}
		}
	}
	for i := 0; i < len(c); i += 2 {
		if err := f(c[i].Value, c[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// kdSeq reports a sequence with the standard tag (a collection with a tag
// of its own is left to the YAML decoder).
func kdSeq(n *yaml.Node) bool {
	return n.Kind == yaml.SequenceNode && n.Tag == "!!seq"
}

// kdExt adds an undeclared key to a type's extensions.
func kdExt(ext *map[string]any, k string, v *yaml.Node) error {
	a, err := kdAny(v)
	if err != nil {
		return err
	}
	if *ext == nil {
		*ext = make(map[string]any)
	}
	(*ext)[k] = a
	return nil
}

// kdIsNull reports a null scalar as YAML resolves it.
func kdIsNull(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!null" {
		return false
	}
	switch n.Value {
	case "", "~", "null", "Null", "NULL":
		return true
	}
	return false
}

// kdString is a string field: a !!str scalar, "" for a null.
func kdString(n *yaml.Node) (string, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!str" {
			return n.Value, nil
		}
		if kdIsNull(n) {
			return "", nil
		}
	}
	return "", errSlowDecode
}

// kdStringPtr is a *string field: nil for a null.
func kdStringPtr(n *yaml.Node) (*string, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		s := n.Value
		return &s, nil
	}
	if kdIsNull(n) {
		return nil, nil
	}
	return nil, errSlowDecode
}

// kdBoolValue is the value of a !!bool scalar YAML resolves.
func kdBoolValue(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, false
	}
	switch n.Value {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// kdBool is a bool field: false for a null.
func kdBool(n *yaml.Node) (bool, error) {
	if b, ok := kdBoolValue(n); ok {
		return b, nil
	}
	if kdIsNull(n) {
		return false, nil
	}
	return false, errSlowDecode
}

// kdBoolPtr is a *bool field: nil for a null.
func kdBoolPtr(n *yaml.Node) (*bool, error) {
	if b, ok := kdBoolValue(n); ok {
		return &b, nil
	}
	if kdIsNull(n) {
		return nil, nil
	}
	return nil, errSlowDecode
}

// kdStrings is a []string field: nil for a null, a null item kept as ""
// (kin-openapi's stringList).
func kdStrings(n *yaml.Node) ([]string, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	if !kdSeq(n) {
		return nil, errSlowDecode
	}
	out := make([]string, len(n.Content))
	for i, e := range n.Content {
		if e.Kind != yaml.ScalarNode {
			return nil, errSlowDecode
		}
		switch {
		case e.Tag == "!!str":
			out[i] = e.Value
		case kdIsNull(e):
		default:
			return nil, errSlowDecode
		}
	}
	return out, nil
}

// kdViaYAML decodes n into a T through the YAML decoder, as the reflection
// decode does for a field of type T: for a type whose decode kin-openapi
// leaves to the YAML package (numbers), or has its own UnmarshalYAML for
// (callbacks, links, a $ref with siblings). Not for a string field of a
// kin-openapi struct, which kin-openapi checks further (checkDeclaredFields).
func kdViaYAML[T any](n *yaml.Node) (T, error) {
	var t T
	if err := n.Decode(&t); err != nil {
		var zero T
		return zero, errSlowDecode
	}
	return t, nil
}

// kdSimpleInt reports decimal integer text that YAML resolves as itself
// (no sign but -, no leading zero, no underscore, within int64).
func kdSimpleInt(s string) bool {
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 18 || d[0] == '0' && (len(d) > 1 || len(s) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// kdFloatText is the YAML resolver's test for a float (yamlStyleFloat).
var kdFloatText = regexp.MustCompile(`^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$`)

// kdSimpleFloat parses the text of a !!float scalar the way the YAML
// resolver does for the common forms (a point or an exponent, no
// underscore, finite), reporting false for any other form.
func kdSimpleFloat(s string) (float64, bool) {
	if !strings.ContainsAny(s, ".eE") || strings.Contains(s, "_") || s == "-0.0" || !kdFloatText.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// kdNumber is an integer or float scalar as an any holds it (float64), or
// false for a form the fast path leaves to the YAML decoder.
func kdNumber(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.Tag {
	case "!!int":
		if kdSimpleInt(n.Value) {
			i, err := strconv.ParseInt(n.Value, 10, 64)
			return float64(i), err == nil
		}
	case "!!float":
		return kdSimpleFloat(n.Value)
	}
	return 0, false
}

// kdAny is a value decoded into an any and normalized as kin-openapi does
// (decodeAny): numbers are float64, mappings map[string]any.
func kdAny(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return n.Value, nil
		case "!!null":
			if kdIsNull(n) {
				return nil, nil
			}
			return nil, errSlowDecode
		case "!!bool":
			if b, ok := kdBoolValue(n); ok {
				return b, nil
			}
			return nil, errSlowDecode
		case "!!int", "!!float":
			if f, ok := kdNumber(n); ok {
				return f, nil
			}
			v, err := kdViaYAML[any](n)
			if err != nil {
				return nil, err
			}
			switch x := v.(type) {
			case int:
				return float64(x), nil
			case int64:
				return float64(x), nil
			case uint64:
				return float64(x), nil
			case float64:
				return x, nil
			}
		}
		return nil, errSlowDecode
	case yaml.SequenceNode:
		if !kdSeq(n) {
			return nil, errSlowDecode
		}
		out := make([]any, len(n.Content))
		for i, e := range n.Content {
			v, err := kdAny(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		err := kdPairs(n, func(k string, v *yaml.Node) error {
			a, err := kdAny(v)
			out[k] = a
			return err
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, errSlowDecode
}

// kdFloatPtr is a *float64 field.
func kdFloatPtr(n *yaml.Node) (*float64, error) {
	if f, ok := kdNumber(n); ok {
		return &f, nil
	}
	if kdIsNull(n) {
		return nil, nil
	}
	return kdViaYAML[*float64](n)
}

// kdUint is a uint64 field.
func kdUint(n *yaml.Node) (uint64, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" && kdSimpleInt(n.Value) && n.Value[0] != '-' {
		return strconv.ParseUint(n.Value, 10, 64)
	}
	if kdIsNull(n) {
		return 0, nil
	}
	return kdViaYAML[uint64](n)
}

// kdUintPtr is a *uint64 field.
func kdUintPtr(n *yaml.Node) (*uint64, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	u, err := kdUint(n)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// kdMap decodes a mapping into a map of pointers: nil for a null, a nil
// entry for a null value.
func kdMap[V any](n *yaml.Node, value func(*yaml.Node) (*V, error)) (map[string]*V, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	out := make(map[string]*V, len(n.Content)/2)
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		if kdIsNull(v) {
			out[k] = nil
			return nil
		}
		x, err := value(v)
		out[k] = x
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// kdList decodes a sequence into a list of pointers: nil for a null, a nil
// item for a null item.
func kdList[V any](n *yaml.Node, value func(*yaml.Node) (*V, error)) ([]*V, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	if !kdSeq(n) {
		return nil, errSlowDecode
	}
	out := make([]*V, len(n.Content))
	for i, e := range n.Content {
		if kdIsNull(e) {
			continue
		}
		x, err := value(e)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// kdRef reads a $ref wrapper's reference the way unmarshalRefYAML does:
// ok is false when n is not a reference (its value is decoded instead);
// simple is false when keys other than $ref, summary and description (for
// the wrappers that have them) sit beside it, or those are not plain
// strings: kin-openapi records them in unexported fields.
func kdRef(n *yaml.Node, withSummary bool) (ref string, summary, description *string, ok, simple bool) {
	if n.Kind != yaml.MappingNode {
		return "", nil, nil, false, false
	}
	var refNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "$ref" {
			refNode = n.Content[i+1]
			break
		}
	}
	if refNode == nil || refNode.Kind != yaml.ScalarNode || refNode.Tag != "!!str" || refNode.Value == "" {
		return "", nil, nil, false, false
	}
	simple = true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode || k.Tag != "!!str":
			simple = false
		case k.Value == "$ref":
		case withSummary && (k.Value == "summary" || k.Value == "description") && v.Kind == yaml.ScalarNode && v.Tag == "!!str":
			s := v.Value
			if k.Value == "summary" {
				summary = &s
			} else {
				description = &s
			}
		default:
			simple = false
		}
	}
	return refNode.Value, summary, description, true, simple
}

// kdRefCheck is the key check for a reference node: no merge key, no key
// written twice (the YAML decoder refuses those before any UnmarshalYAML
// of the parent completes).
func kdRefCheck(n *yaml.Node) error {
	return kdPairs(n, func(string, *yaml.Node) error { return nil })
}

func kdPathItem(n *yaml.Node) (*openapi3.PathItem, error) {
	p := &openapi3.PathItem{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "$ref":
			p.Ref, err = kdString(v)
		case "summary":
			p.Summary, err = kdString(v)
		case "description":
			p.Description, err = kdString(v)
		case "connect":
			p.Connect, err = kdOperationPtr(v)
		case "delete":
			p.Delete, err = kdOperationPtr(v)
		case "get":
			p.Get, err = kdOperationPtr(v)
		case "head":
			p.Head, err = kdOperationPtr(v)
		case "options":
			p.Options, err = kdOperationPtr(v)
		case "patch":
			p.Patch, err = kdOperationPtr(v)
		case "post":
			p.Post, err = kdOperationPtr(v)
		case "put":
			p.Put, err = kdOperationPtr(v)
		case "trace":
			p.Trace, err = kdOperationPtr(v)
		case "query":
			p.Query, err = kdOperationPtr(v)
		case "servers":
			p.Servers, err = kdList(v, kdServer)
		case "parameters":
			p.Parameters, err = kdParameters(v)
		case "additionalOperations":
			p.AdditionalOperations, err = kdMap(v, kdOperation)
		default:
			err = kdExt(&p.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func kdOperationPtr(n *yaml.Node) (*openapi3.Operation, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	return kdOperation(n)
}

func kdOperation(n *yaml.Node) (*openapi3.Operation, error) {
	o := &openapi3.Operation{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "tags":
			o.Tags, err = kdStrings(v)
		case "summary":
			o.Summary, err = kdString(v)
		case "description":
			o.Description, err = kdString(v)
		case "operationId":
			o.OperationID, err = kdString(v)
		case "parameters":
			o.Parameters, err = kdParameters(v)
		case "requestBody":
			o.RequestBody, err = kdNullOr(v, kdRequestBodyRef)
		case "responses":
			if kdIsNull(v) {
				// kin-openapi marks it explicitlyNull, unexported.
				return errSlowDecode
			}
			o.Responses, err = kdResponses(v)
		case "callbacks":
			o.Callbacks, err = kdViaYAML[openapi3.Callbacks](v)
		case "deprecated":
			o.Deprecated, err = kdBool(v)
		case "security":
			o.Security, err = kdSecurity(v)
		case "servers":
			var s []*openapi3.Server
			if s, err = kdList(v, kdServer); s != nil {
				servers := openapi3.Servers(s)
				o.Servers = &servers
			}
		case "externalDocs":
			o.ExternalDocs, err = kdNullOr(v, kdExternalDocs)
		default:
			err = kdExt(&o.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// kdNullOr is a pointer field: nil for a null.
func kdNullOr[V any](n *yaml.Node, value func(*yaml.Node) (*V, error)) (*V, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	return value(n)
}

func kdParameters(n *yaml.Node) (openapi3.Parameters, error) {
	l, err := kdList(n, kdParameterRef)
	if l == nil || err != nil {
		return nil, err
	}
	return openapi3.Parameters(l), nil
}

func kdParameterRef(n *yaml.Node) (*openapi3.ParameterRef, error) {
	if ref, summary, description, ok, simple := kdRef(n, true); ok {
		if !simple {
			return kdViaYAMLPtr[openapi3.ParameterRef](n)
		}
		return &openapi3.ParameterRef{Ref: ref, Summary: summary, Description: description}, kdRefCheck(n)
	}
	v, err := kdParameter(n)
	if err != nil {
		return nil, err
	}
	return &openapi3.ParameterRef{Value: v}, nil
}

// kdViaYAMLPtr decodes n into a new T through kin-openapi's UnmarshalYAML.
func kdViaYAMLPtr[T any](n *yaml.Node) (*T, error) {
	t := new(T)
	if err := n.Decode(t); err != nil {
		return nil, errSlowDecode
	}
	return t, nil
}

func kdParameter(n *yaml.Node) (*openapi3.Parameter, error) {
	p := &openapi3.Parameter{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "name":
			p.Name, err = kdString(v)
		case "in":
			p.In, err = kdString(v)
		case "description":
			p.Description, err = kdString(v)
		case "style":
			p.Style, err = kdString(v)
		case "explode":
			p.Explode, err = kdBoolPtr(v)
		case "allowEmptyValue":
			p.AllowEmptyValue, err = kdBool(v)
		case "allowReserved":
			p.AllowReserved, err = kdBool(v)
		case "deprecated":
			p.Deprecated, err = kdBool(v)
		case "required":
			p.Required, err = kdBool(v)
		case "schema":
			p.Schema, err = kdNullOr(v, kdSchemaRef)
		case "example":
			p.Example, err = kdAny(v)
		case "examples":
			p.Examples, err = kdMap(v, kdExampleRef)
		case "content":
			p.Content, err = kdMap(v, kdMediaType)
		default:
			err = kdExt(&p.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func kdHeaderRef(n *yaml.Node) (*openapi3.HeaderRef, error) {
	if ref, summary, description, ok, simple := kdRef(n, true); ok {
		if !simple {
			return kdViaYAMLPtr[openapi3.HeaderRef](n)
		}
		return &openapi3.HeaderRef{Ref: ref, Summary: summary, Description: description}, kdRefCheck(n)
	}
	p, err := kdParameter(n)
	if err != nil {
		return nil, err
	}
	return &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: *p}}, nil
}

func kdRequestBodyRef(n *yaml.Node) (*openapi3.RequestBodyRef, error) {
	if ref, summary, description, ok, simple := kdRef(n, true); ok {
		if !simple {
			return kdViaYAMLPtr[openapi3.RequestBodyRef](n)
		}
		return &openapi3.RequestBodyRef{Ref: ref, Summary: summary, Description: description}, kdRefCheck(n)
	}
	b := &openapi3.RequestBody{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "description":
			b.Description, err = kdString(v)
		case "required":
			b.Required, err = kdBool(v)
		case "content":
			b.Content, err = kdMap(v, kdMediaType)
		default:
			err = kdExt(&b.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &openapi3.RequestBodyRef{Value: b}, nil
}

// kdResponses mirrors unmarshalMaplikeYAML: the extensions map is made even
// when empty, and a null response is an empty ResponseRef.
func kdResponses(n *yaml.Node) (*openapi3.Responses, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errSlowDecode
	}
	r := openapi3.NewResponsesWithCapacity(len(n.Content) / 2)
	r.Extensions = make(map[string]any)
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		if strings.HasPrefix(k, "x-") {
			a, err := kdAny(v)
			r.Extensions[k] = a
			return err
		}
		if kdIsNull(v) {
			r.Set(k, &openapi3.ResponseRef{})
			return nil
		}
		x, err := kdResponseRef(v)
		r.Set(k, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func kdResponseRef(n *yaml.Node) (*openapi3.ResponseRef, error) {
	if ref, summary, description, ok, simple := kdRef(n, true); ok {
		if !simple {
			return kdViaYAMLPtr[openapi3.ResponseRef](n)
		}
		return &openapi3.ResponseRef{Ref: ref, Summary: summary, Description: description}, kdRefCheck(n)
	}
	r := &openapi3.Response{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "description":
			r.Description, err = kdStringPtr(v)
		case "headers":
			r.Headers, err = kdMap(v, kdHeaderRef)
		case "content":
			r.Content, err = kdMap(v, kdMediaType)
		case "links":
			r.Links, err = kdViaYAML[openapi3.Links](v)
		default:
			err = kdExt(&r.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &openapi3.ResponseRef{Value: r}, nil
}

func kdMediaType(n *yaml.Node) (*openapi3.MediaType, error) {
	m := &openapi3.MediaType{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "schema":
			m.Schema, err = kdNullOr(v, kdSchemaRef)
		case "itemSchema":
			m.ItemSchema, err = kdNullOr(v, kdSchemaRef)
		case "example":
			m.Example, err = kdAny(v)
		case "examples":
			m.Examples, err = kdMap(v, kdExampleRef)
		case "encoding":
			m.Encoding, err = kdMap(v, kdEncoding)
		default:
			err = kdExt(&m.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func kdEncoding(n *yaml.Node) (*openapi3.Encoding, error) {
	e := &openapi3.Encoding{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "contentType":
			e.ContentType, err = kdString(v)
		case "headers":
			e.Headers, err = kdMap(v, kdHeaderRef)
		case "style":
			e.Style, err = kdString(v)
		case "explode":
			e.Explode, err = kdBoolPtr(v)
		case "allowReserved":
			e.AllowReserved, err = kdBool(v)
		default:
			err = kdExt(&e.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func kdExampleRef(n *yaml.Node) (*openapi3.ExampleRef, error) {
	if ref, summary, description, ok, simple := kdRef(n, true); ok {
		if !simple {
			return kdViaYAMLPtr[openapi3.ExampleRef](n)
		}
		return &openapi3.ExampleRef{Ref: ref, Summary: summary, Description: description}, kdRefCheck(n)
	}
	x := &openapi3.Example{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "summary":
			x.Summary, err = kdString(v)
		case "description":
			x.Description, err = kdString(v)
		case "value":
			x.Value, err = kdAny(v)
		case "externalValue":
			x.ExternalValue, err = kdString(v)
		default:
			err = kdExt(&x.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &openapi3.ExampleRef{Value: x}, nil
}

// kdSecurity mirrors SecurityRequirement.UnmarshalYAML: each scheme's scopes
// keep a null's place as "".
func kdSecurity(n *yaml.Node) (*openapi3.SecurityRequirements, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	if !kdSeq(n) {
		return nil, errSlowDecode
	}
	out := make(openapi3.SecurityRequirements, len(n.Content))
	for i, e := range n.Content {
		if kdIsNull(e) {
			continue
		}
		req := make(openapi3.SecurityRequirement, len(e.Content)/2)
		err := kdPairs(e, func(k string, v *yaml.Node) error {
			if !kdSeq(v) {
				return errSlowDecode
			}
			scopes, err := kdStrings(v)
			req[k] = scopes
			return err
		})
		if err != nil {
			return nil, err
		}
		out[i] = req
	}
	return &out, nil
}

func kdServer(n *yaml.Node) (*openapi3.Server, error) {
	s := &openapi3.Server{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "url":
			s.URL, err = kdString(v)
		case "description":
			s.Description, err = kdString(v)
		case "variables":
			s.Variables, err = kdMap(v, kdServerVariable)
		default:
			err = kdExt(&s.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func kdServerVariable(n *yaml.Node) (*openapi3.ServerVariable, error) {
	s := &openapi3.ServerVariable{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "enum":
			s.Enum, err = kdStrings(v)
		case "default":
			s.Default, err = kdString(v)
		case "description":
			s.Description, err = kdString(v)
		default:
			err = kdExt(&s.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func kdExternalDocs(n *yaml.Node) (*openapi3.ExternalDocs, error) {
	d := &openapi3.ExternalDocs{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "description":
			d.Description, err = kdString(v)
		case "url":
			d.URL, err = kdString(v)
		default:
			err = kdExt(&d.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func kdXML(n *yaml.Node) (*openapi3.XML, error) {
	x := &openapi3.XML{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "name":
			x.Name, err = kdString(v)
		case "namespace":
			x.Namespace, err = kdString(v)
		case "prefix":
			x.Prefix, err = kdString(v)
		case "attribute":
			x.Attribute, err = kdBool(v)
		case "wrapped":
			x.Wrapped, err = kdBool(v)
		default:
			err = kdExt(&x.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

func kdDiscriminator(n *yaml.Node) (*openapi3.Discriminator, error) {
	d := &openapi3.Discriminator{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "propertyName":
			d.PropertyName, err = kdString(v)
		case "mapping":
			if kdIsNull(v) {
				return nil
			}
			m := make(map[string]openapi3.MappingRef, len(v.Content)/2)
			err = kdPairs(v, func(k string, v *yaml.Node) error {
				if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
					return errSlowDecode
				}
				m[k] = openapi3.MappingRef{Ref: v.Value}
				return nil
			})
			d.Mapping = m
		default:
			err = kdExt(&d.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func kdSchemaRef(n *yaml.Node) (*openapi3.SchemaRef, error) {
	if ref, _, _, ok, simple := kdRef(n, false); ok {
		if !simple {
			return kdViaYAMLPtr[openapi3.SchemaRef](n)
		}
		return &openapi3.SchemaRef{Ref: ref}, kdRefCheck(n)
	}
	s, err := kdSchema(n)
	if err != nil {
		return nil, err
	}
	return &openapi3.SchemaRef{Value: s}, nil
}

func kdSchemaRefs(n *yaml.Node) (openapi3.SchemaRefs, error) {
	l, err := kdList(n, kdSchemaRef)
	if l == nil || err != nil {
		return nil, err
	}
	return openapi3.SchemaRefs(l), nil
}

func kdSchemas(n *yaml.Node) (openapi3.Schemas, error) {
	m, err := kdMap(n, kdSchemaRef)
	if m == nil || err != nil {
		return nil, err
	}
	return openapi3.Schemas(m), nil
}

// kdTypes mirrors Types.UnmarshalYAML with kin-openapi's string-list check.
func kdTypes(n *yaml.Node) (*openapi3.Types, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		if n.Tag != "!!str" {
			return nil, errSlowDecode
		}
		t := openapi3.Types{n.Value}
		return &t, nil
	}
	l, err := kdStrings(n)
	if err != nil {
		return nil, err
	}
	t := openapi3.Types(l)
	return &t, nil
}

// kdBoolSchema mirrors BoolSchema.UnmarshalYAML.
func kdBoolSchema(n *yaml.Node) (openapi3.BoolSchema, error) {
	if kdIsNull(n) {
		return openapi3.BoolSchema{}, nil
	}
	if b, ok := kdBoolValue(n); ok {
		return openapi3.BoolSchema{Has: &b}, nil
	}
	if n.Kind != yaml.MappingNode {
		return openapi3.BoolSchema{}, errSlowDecode
	}
	s, err := kdSchemaRef(n)
	return openapi3.BoolSchema{Schema: s}, err
}

// kdExclusiveBound mirrors ExclusiveBound.UnmarshalYAML: a bool (3.0) or a
// number (3.1).
func kdExclusiveBound(n *yaml.Node) (openapi3.ExclusiveBound, error) {
	if kdIsNull(n) {
		return openapi3.ExclusiveBound{}, nil
	}
	if b, ok := kdBoolValue(n); ok {
		return openapi3.ExclusiveBound{Bool: &b}, nil
	}
	if f, ok := kdNumber(n); ok {
		return openapi3.ExclusiveBound{Value: &f}, nil
	}
	return openapi3.ExclusiveBound{}, errSlowDecode
}

// kdAnyList is a []any field: nil for a null.
func kdAnyList(n *yaml.Node) ([]any, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	if !kdSeq(n) {
		return nil, errSlowDecode
	}
	v, err := kdAny(n)
	if err != nil {
		return nil, err
	}
	return v.([]any), nil
}

func kdSchema(n *yaml.Node) (*openapi3.Schema, error) {
	if b, ok := kdBoolValue(n); ok {
		return &openapi3.Schema{Always: &b}, nil
	}
	s := &openapi3.Schema{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "oneOf":
			s.OneOf, err = kdSchemaRefs(v)
		case "anyOf":
			s.AnyOf, err = kdSchemaRefs(v)
		case "allOf":
			s.AllOf, err = kdSchemaRefs(v)
		case "not":
			s.Not, err = kdNullOr(v, kdSchemaRef)
		case "type":
			s.Type, err = kdTypes(v)
		case "title":
			s.Title, err = kdString(v)
		case "format":
			s.Format, err = kdString(v)
		case "description":
			s.Description, err = kdString(v)
		case "enum":
			s.Enum, err = kdAnyList(v)
		case "default":
			s.Default, err = kdAny(v)
		case "example":
			s.Example, err = kdAny(v)
		case "externalDocs":
			s.ExternalDocs, err = kdNullOr(v, kdExternalDocs)
		case "uniqueItems":
			s.UniqueItems, err = kdBool(v)
		case "exclusiveMinimum":
			s.ExclusiveMin, err = kdExclusiveBound(v)
		case "exclusiveMaximum":
			s.ExclusiveMax, err = kdExclusiveBound(v)
		case "nullable":
			s.Nullable, err = kdBool(v)
		case "readOnly":
			s.ReadOnly, err = kdBool(v)
		case "writeOnly":
			s.WriteOnly, err = kdBool(v)
		case "allowEmptyValue":
			s.AllowEmptyValue, err = kdBool(v)
		case "deprecated":
			s.Deprecated, err = kdBool(v)
		case "xml":
			s.XML, err = kdNullOr(v, kdXML)
		case "minimum":
			s.Min, err = kdFloatPtr(v)
		case "maximum":
			s.Max, err = kdFloatPtr(v)
		case "multipleOf":
			s.MultipleOf, err = kdFloatPtr(v)
		case "minLength":
			s.MinLength, err = kdUint(v)
		case "maxLength":
			s.MaxLength, err = kdUintPtr(v)
		case "pattern":
			s.Pattern, err = kdString(v)
		case "minItems":
			s.MinItems, err = kdUint(v)
		case "maxItems":
			s.MaxItems, err = kdUintPtr(v)
		case "items":
			s.Items, err = kdNullOr(v, kdSchemaRef)
		case "required":
			s.Required, err = kdStrings(v)
		case "properties":
			s.Properties, err = kdSchemas(v)
		case "minProperties":
			s.MinProps, err = kdUint(v)
		case "maxProperties":
			s.MaxProps, err = kdUintPtr(v)
		case "additionalProperties":
			s.AdditionalProperties, err = kdBoolSchema(v)
		case "discriminator":
			s.Discriminator, err = kdNullOr(v, kdDiscriminator)
		case "const":
			s.Const, err = kdAny(v)
		case "examples":
			s.Examples, err = kdAnyList(v)
		case "prefixItems":
			s.PrefixItems, err = kdSchemaRefs(v)
		case "contains":
			s.Contains, err = kdNullOr(v, kdSchemaRef)
		case "minContains":
			s.MinContains, err = kdUintPtr(v)
		case "maxContains":
			s.MaxContains, err = kdUintPtr(v)
		case "patternProperties":
			s.PatternProperties, err = kdSchemas(v)
		case "dependentSchemas":
			s.DependentSchemas, err = kdSchemas(v)
		case "propertyNames":
			s.PropertyNames, err = kdNullOr(v, kdSchemaRef)
		case "unevaluatedItems":
			s.UnevaluatedItems, err = kdBoolSchema(v)
		case "unevaluatedProperties":
			s.UnevaluatedProperties, err = kdBoolSchema(v)
		case "if":
			s.If, err = kdNullOr(v, kdSchemaRef)
		case "then":
			s.Then, err = kdNullOr(v, kdSchemaRef)
		case "else":
			s.Else, err = kdNullOr(v, kdSchemaRef)
		case "dependentRequired":
			s.DependentRequired, err = kdDependentRequired(v)
		case "$defs":
			s.Defs, err = kdSchemas(v)
		case "$schema":
			s.SchemaDialect, err = kdString(v)
		case "$comment":
			s.Comment, err = kdString(v)
		case "$id":
			s.SchemaID, err = kdString(v)
		case "$anchor":
			s.Anchor, err = kdString(v)
		case "$dynamicRef":
			s.DynamicRef, err = kdString(v)
		case "$dynamicAnchor":
			s.DynamicAnchor, err = kdString(v)
		case "contentMediaType":
			s.ContentMediaType, err = kdString(v)
		case "contentEncoding":
			s.ContentEncoding, err = kdString(v)
		case "contentSchema":
			s.ContentSchema, err = kdNullOr(v, kdSchemaRef)
		default:
			err = kdExt(&s.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// kdDependentRequired is a map[string][]string, which kin-openapi leaves to
// the YAML decoder (a null item would be dropped there, not kept): only
// lists of plain strings are taken.
func kdDependentRequired(n *yaml.Node) (map[string][]string, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	out := make(map[string][]string, len(n.Content)/2)
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		if !kdSeq(v) {
			return errSlowDecode
		}
		l := make([]string, len(v.Content))
		for i, e := range v.Content {
			if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
				return errSlowDecode
			}
			l[i] = e.Value
		}
		out[k] = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeDoc decodes the document root into doc by hand, or through
// kin-openapi when the hand decoder does not take it (doc is then as
// kin-openapi leaves it, error and all).
func decodeDoc(top *yaml.Node, doc *openapi3.T) error {
	if t, err := fastDoc(top); err == nil {
		*doc = *t
		return nil
	}
	return top.Decode(doc)
}

// fastDoc decodes the document root by hand, or returns errSlowDecode.
func fastDoc(n *yaml.Node) (doc *openapi3.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, errSlowDecode
		}
	}()
	return kdDoc(n)
}

func kdDoc(n *yaml.Node) (*openapi3.T, error) {
	d := &openapi3.T{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "openapi":
			d.OpenAPI, err = kdString(v)
		case "components":
			d.Components, err = kdNullOr(v, kdComponents)
		case "info":
			d.Info, err = kdNullOr(v, kdInfo)
		case "paths":
			d.Paths, err = kdNullOr(v, kdPaths)
		case "security":
			var s *openapi3.SecurityRequirements
			if s, err = kdSecurity(v); s != nil {
				d.Security = *s
			}
		case "servers":
			d.Servers, err = kdList(v, kdServer)
		case "tags":
			d.Tags, err = kdList(v, kdTag)
		case "externalDocs":
			d.ExternalDocs, err = kdNullOr(v, kdExternalDocs)
		case "webhooks":
			d.Webhooks, err = kdMap(v, kdPathItem)
		case "jsonSchemaDialect":
			d.JSONSchemaDialect, err = kdString(v)
		default:
			err = kdExt(&d.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// kdPaths mirrors unmarshalMaplikeYAML, as kdResponses does.
func kdPaths(n *yaml.Node) (*openapi3.Paths, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errSlowDecode
	}
	p := openapi3.NewPathsWithCapacity(len(n.Content) / 2)
	p.Extensions = make(map[string]any)
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		if strings.HasPrefix(k, "x-") {
			a, err := kdAny(v)
			p.Extensions[k] = a
			return err
		}
		if kdIsNull(v) {
			p.Set(k, &openapi3.PathItem{})
			return nil
		}
		x, err := kdPathItem(v)
		p.Set(k, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func kdInfo(n *yaml.Node) (*openapi3.Info, error) {
	x := &openapi3.Info{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "title":
			x.Title, err = kdString(v)
		case "summary":
			x.Summary, err = kdString(v)
		case "description":
			x.Description, err = kdString(v)
		case "termsOfService":
			x.TermsOfService, err = kdString(v)
		case "contact":
			x.Contact, err = kdNullOr(v, kdContact)
		case "license":
			x.License, err = kdNullOr(v, kdLicense)
		case "version":
			x.Version, err = kdString(v)
		default:
			err = kdExt(&x.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

func kdContact(n *yaml.Node) (*openapi3.Contact, error) {
	x := &openapi3.Contact{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "name":
			x.Name, err = kdString(v)
		case "url":
			x.URL, err = kdString(v)
		case "email":
			x.Email, err = kdString(v)
		default:
			err = kdExt(&x.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

func kdLicense(n *yaml.Node) (*openapi3.License, error) {
	x := &openapi3.License{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "name":
			x.Name, err = kdString(v)
		case "url":
			x.URL, err = kdString(v)
		case "identifier":
			x.Identifier, err = kdString(v)
		default:
			err = kdExt(&x.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

func kdTag(n *yaml.Node) (*openapi3.Tag, error) {
	x := &openapi3.Tag{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "name":
			x.Name, err = kdString(v)
		case "description":
			x.Description, err = kdString(v)
		case "externalDocs":
			x.ExternalDocs, err = kdNullOr(v, kdExternalDocs)
		default:
			err = kdExt(&x.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

func kdComponents(n *yaml.Node) (*openapi3.Components, error) {
	c := &openapi3.Components{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "schemas":
			c.Schemas, err = kdSchemas(v)
		case "parameters":
			c.Parameters, err = kdMap(v, kdParameterRef)
		case "headers":
			c.Headers, err = kdMap(v, kdHeaderRef)
		case "requestBodies":
			c.RequestBodies, err = kdMap(v, kdRequestBodyRef)
		case "responses":
			c.Responses, err = kdMap(v, kdResponseRef)
		case "securitySchemes":
			c.SecuritySchemes, err = kdMap(v, kdSecuritySchemeRef)
		case "examples":
			c.Examples, err = kdMap(v, kdExampleRef)
		case "links":
			c.Links, err = kdViaYAML[openapi3.Links](v)
		case "callbacks":
			c.Callbacks, err = kdViaYAML[openapi3.Callbacks](v)
		default:
			err = kdExt(&c.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func kdSecuritySchemeRef(n *yaml.Node) (*openapi3.SecuritySchemeRef, error) {
	if ref, summary, description, ok, simple := kdRef(n, true); ok {
		if !simple {
			return kdViaYAMLPtr[openapi3.SecuritySchemeRef](n)
		}
		return &openapi3.SecuritySchemeRef{Ref: ref, Summary: summary, Description: description}, kdRefCheck(n)
	}
	s := &openapi3.SecurityScheme{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "type":
			s.Type, err = kdString(v)
		case "description":
			s.Description, err = kdString(v)
		case "name":
			s.Name, err = kdString(v)
		case "in":
			s.In, err = kdString(v)
		case "scheme":
			s.Scheme, err = kdString(v)
		case "bearerFormat":
			s.BearerFormat, err = kdString(v)
		case "flows":
			s.Flows, err = kdNullOr(v, kdOAuthFlows)
		case "openIdConnectUrl":
			s.OpenIdConnectUrl, err = kdString(v)
		default:
			err = kdExt(&s.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &openapi3.SecuritySchemeRef{Value: s}, nil
}

func kdOAuthFlows(n *yaml.Node) (*openapi3.OAuthFlows, error) {
	f := &openapi3.OAuthFlows{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "implicit":
			f.Implicit, err = kdNullOr(v, kdOAuthFlow)
		case "password":
			f.Password, err = kdNullOr(v, kdOAuthFlow)
		case "clientCredentials":
			f.ClientCredentials, err = kdNullOr(v, kdOAuthFlow)
		case "authorizationCode":
			f.AuthorizationCode, err = kdNullOr(v, kdOAuthFlow)
		default:
			err = kdExt(&f.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func kdOAuthFlow(n *yaml.Node) (*openapi3.OAuthFlow, error) {
	f := &openapi3.OAuthFlow{}
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "authorizationUrl":
			f.AuthorizationURL, err = kdString(v)
		case "tokenUrl":
			f.TokenURL, err = kdString(v)
		case "refreshUrl":
			f.RefreshURL, err = kdString(v)
		case "scopes":
			f.Scopes, err = kdStringMap(v)
		default:
			err = kdExt(&f.Extensions, k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// kdStringMap is a map[string]string field: a null value is "" (the YAML
// decoder sets it in a new map), any value but a string is refused by
// kin-openapi (checkFieldValue).
func kdStringMap(n *yaml.Node) (map[string]string, error) {
	if kdIsNull(n) {
		return nil, nil
	}
	out := make(map[string]string, len(n.Content)/2)
	err := kdPairs(n, func(k string, v *yaml.Node) error {
		s, err := kdString(v)
		out[k] = s
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
