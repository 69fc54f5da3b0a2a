package generator

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

var kdVocab = []string{
	"get", "put", "post", "delete", "options", "head", "patch", "trace", "servers", "parameters", "summary", "description", "$ref",
	"tags", "operationId", "requestBody", "responses", "callbacks", "deprecated", "security", "externalDocs", "x-a",
	"name", "in", "required", "style", "explode", "allowEmptyValue", "allowReserved", "schema", "example", "examples", "content",
	"headers", "links", "encoding", "contentType", "value", "externalValue", "url", "variables", "enum", "default",
	"type", "format", "title", "nullable", "readOnly", "writeOnly", "items", "properties", "additionalProperties",
	"allOf", "oneOf", "anyOf", "not", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
	"discriminator", "propertyName", "mapping", "xml", "const", "examples", "prefixItems", "contains", "if", "then", "else",
	"$schema", "$id", "$defs", "$anchor", "$comment", "contentEncoding", "contentMediaType", "unevaluatedProperties",
	"patternProperties", "dependentRequired", "propertyNames", "200", "default", "application/json", "{$request.body#/u}",
}

var kdScalars = []yaml.Node{
	{Kind: yaml.ScalarNode, Tag: "!!str", Value: "x"},
	{Kind: yaml.ScalarNode, Tag: "!!str", Value: ""},
	{Kind: yaml.ScalarNode, Tag: "!!str", Value: "#/components/schemas/S"},
	{Kind: yaml.ScalarNode, Tag: "!!str", Value: "string"},
	{Kind: yaml.ScalarNode, Tag: "!!str", Value: "query"},
	{Kind: yaml.ScalarNode, Tag: "!!str", Value: "true"},
	{Kind: yaml.ScalarNode, Tag: "!!str", Value: "1"},
	{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"},
	{Kind: yaml.ScalarNode, Tag: "!!int", Value: "-3"},
	{Kind: yaml.ScalarNode, Tag: "!!int", Value: "0x1F"},
	{Kind: yaml.ScalarNode, Tag: "!!int", Value: "18446744073709551616"},
	{Kind: yaml.ScalarNode, Tag: "!!int", Value: "9223372036854775807"},
	{Kind: yaml.ScalarNode, Tag: "!!float", Value: "1.5"},
	{Kind: yaml.ScalarNode, Tag: "!!float", Value: "1e400"},
	{Kind: yaml.ScalarNode, Tag: "!!float", Value: "-.inf"},
	{Kind: yaml.ScalarNode, Tag: "!!float", Value: ".nan"},
	{Kind: yaml.ScalarNode, Tag: "!!float", Value: "2.0"},
	{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"},
	{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"},
	{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"},
	{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""},
	{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: "2001-12-14"},
	{Kind: yaml.ScalarNode, Tag: "!!binary", Value: "aGk="},
}

func kdRandom(r *rand.Rand, depth int) *yaml.Node {
	k := r.IntN(10)
	if depth > 4 {
		k = 0
	}
	switch {
	case k < 4:
		s := kdScalars[r.IntN(len(kdScalars))]
		return &s
	case k < 6:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for range r.IntN(3) {
			n.Content = append(n.Content, kdRandom(r, depth+1))
		}
		return n
	default:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for range r.IntN(5) {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kdVocab[r.IntN(len(kdVocab))]}, kdRandom(r, depth+1))
		}
		return n
	}
}

// TestKinDecodeGrammar: random mappings over the OpenAPI vocabulary with
// values of every kind: the hand decoder leaves each to kin-openapi or
// gives exactly what kin-openapi gives, as a path item and as a schema.
func TestKinDecodeGrammar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	n := 3000
	if s := os.Getenv("OBPM_MUTANTS"); s != "" {
		fmt.Sscan(s, &n)
	}
	took, fails := 0, 0
	for i := 0; i < n && fails < 8; i++ {
		node := kdRandom(r, 0)
		if node.Kind != yaml.MappingNode {
			continue
		}
		data, err := yaml.Marshal(node)
		if err != nil {
			continue
		}
		tree := parseTree(data)
		if tree == nil || prepareNodes(tree, 0) != nil {
			continue
		}
		for _, check := range []func() (bool, string){
			func() (bool, string) { return kdCompare(tree, kdPathItem) },
			func() (bool, string) { return kdCompare(tree, kdSchemaRef) },
		} {
			tk, failure := check()
			if tk {
				took++
			}
			if failure != "" {
				fails++
				t.Errorf("%s\n%s", failure, strings.TrimSpace(string(data)))
			}
		}
	}
	t.Logf("took %d", took)
}
