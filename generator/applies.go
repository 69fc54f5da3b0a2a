package generator

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The sandbox environment and the Open Banking parts of the scripts
// (bank_tran_id, tran_dtime) belong only to documents that use them: the one
// obpm sandbox serves (Options.OpenBanking) and documents with x-obpm-*
// extensions. Any other API gets neither (issue 10: they leaked into every
// collection and renamed an API's own "sandbox" server).

// usesObpm reports whether doc carries an x-obpm-* extension anywhere the
// generator reads one.
func usesObpm(doc *openapi3.T) bool {
	s := &obpmScan{seen: map[*openapi3.Schema]bool{}}
	if s.ext(doc.Extensions) {
		return true
	}
	for _, sv := range doc.Servers {
		if sv != nil && s.ext(sv.Extensions) {
			return true
		}
	}
	if c := doc.Components; c != nil {
		for _, sc := range c.SecuritySchemes {
			if sc != nil && sc.Value != nil && s.ext(sc.Value.Extensions) {
				return true
			}
		}
	}
	if doc.Paths == nil {
		return false
	}
	for _, item := range doc.Paths.Map() {
		if item == nil {
			continue
		}
		if s.params(item.Parameters) {
			return true
		}
		for _, op := range item.Operations() {
			if s.operation(op) {
				return true
			}
		}
	}
	return false
}

type obpmScan struct {
	seen   map[*openapi3.Schema]bool
	inline int // inline schemas visited without being remembered
}

func (s *obpmScan) ext(m map[string]any) bool {
	if len(m) == 0 {
		return false // most are: no iterator to set up
	}
	for k := range m {
		if strings.HasPrefix(k, "x-obpm-") {
			return true
		}
	}
	return false
}

func (s *obpmScan) operation(op *openapi3.Operation) bool {
	if s.ext(op.Extensions) || s.params(op.Parameters) {
		return true
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil && s.content(op.RequestBody.Value.Content) {
		return true
	}
	if op.Responses != nil {
		for _, r := range op.Responses.Map() {
			if r != nil && r.Value != nil && s.content(r.Value.Content) {
				return true
			}
		}
	}
	return false
}

func (s *obpmScan) params(ps openapi3.Parameters) bool {
	for _, p := range ps {
		if p == nil || p.Value == nil {
			continue
		}
		if s.ext(p.Value.Extensions) || s.schema(p.Value.Schema) || s.content(p.Value.Content) {
			return true
		}
	}
	return false
}

func (s *obpmScan) content(c openapi3.Content) bool {
	for _, mt := range c {
		if mt == nil {
			continue
		}
		if s.ext(mt.Extensions) || s.schema(mt.Schema) {
			return true
		}
		for _, ex := range mt.Examples {
			if ex != nil && ex.Value != nil && s.ext(ex.Value.Extensions) {
				return true
			}
		}
	}
	return false
}

// schema looks through a schema and the schemas inside it. A $ref'd schema
// (a large document's schemas are shared by many operations, and cycles go
// through $refs) is looked at once; an inline one has one parent and is not
// remembered, which spares a set of every schema of the document
// (BenchmarkGenerateLarge). Past maxInlineVisits visits of inline schemas
// every schema is remembered, so that a loader that shares inline schemas
// (or links them in a cycle) cannot make the walk long or endless.
func (s *obpmScan) schema(r *openapi3.SchemaRef) bool {
	if r == nil || r.Value == nil {
		return false
	}
	v := r.Value
	if r.Ref != "" || s.inline >= maxInlineVisits {
		if s.seen[v] {
			return false
		}
		s.seen[v] = true
	} else {
		s.inline++
	}
	if s.ext(v.Extensions) {
		return true
	}
	for _, p := range v.Properties {
		if s.schema(p) {
			return true
		}
	}
	for _, list := range []openapi3.SchemaRefs{v.AllOf, v.OneOf, v.AnyOf} {
		for _, x := range list {
			if s.schema(x) {
				return true
			}
		}
	}
	return s.schema(v.Items) || s.schema(v.Not) || s.schema(v.AdditionalProperties.Schema)
}

// maxInlineVisits bounds the visits of inline schemas obpmScan makes without
// remembering them: far above a large real document's count.
const maxInlineVisits = 1 << 18
