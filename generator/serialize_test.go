package generator

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestStyleString follows OpenAPI 3's "Style Values" table (id = [3, 4, 5],
// object {role: admin, firstName: Alex}).
func TestStyleString(t *testing.T) {
	arr := []any{int64(3), int64(4), int64(5)}
	obj := newObject()
	obj.set("role", "admin")
	obj.set("firstName", "Alex")
	for _, c := range []struct {
		style   string
		explode bool
		v       any
		want    string
	}{
		{"simple", false, "5", "5"},
		{"simple", false, arr, "3,4,5"},
		{"simple", false, obj, "role,admin,firstName,Alex"},
		{"simple", true, obj, "role=admin,firstName=Alex"},
		{"label", false, "5", ".5"},
		{"label", false, arr, ".3,4,5"},
		{"label", true, arr, ".3.4.5"},
		{"label", false, obj, ".role,admin,firstName,Alex"},
		{"label", true, obj, ".role=admin.firstName=Alex"},
		{"matrix", false, "5", ";id=5"},
		{"matrix", false, arr, ";id=3,4,5"},
		{"matrix", true, arr, ";id=3;id=4;id=5"},
		{"matrix", false, obj, ";id=role,admin,firstName,Alex"},
		{"matrix", true, obj, ";role=admin;firstName=Alex"},
	} {
		if got := styleString(c.style, c.explode, "id", c.v); got != c.want {
			t.Errorf("%s explode=%v %v: got %q, want %q", c.style, c.explode, c.v, got, c.want)
		}
	}
}

func TestFormPairs(t *testing.T) {
	arr := []any{"a", "b"}
	obj := newObject()
	obj.set("max", int64(3))
	f := false
	for _, c := range []struct {
		name      string
		v         any
		enc       *openapi3.Encoding
		multipart bool
		want      string
	}{
		{"exploded array (default)", arr, nil, false, "F=a&F=b"},
		{"comma array", arr, &openapi3.Encoding{Style: "form", Explode: &f}, false, "F=a,b"},
		{"pipe array", arr, &openapi3.Encoding{Style: "pipeDelimited"}, false, "F=a|b"},
		{"space array", arr, &openapi3.Encoding{Style: "spaceDelimited"}, false, "F=a b"},
		{"deepObject", obj, &openapi3.Encoding{Style: "deepObject", Explode: new(bool)}, false, "F[max]=3"},
		{"exploded object", obj, nil, false, "max=3"},
		{"object not exploded", obj, &openapi3.Encoding{Explode: &f}, false, "F=max,3"},
		{"multipart array", arr, nil, true, "F=a&F=b"},
		{"multipart object", obj, nil, true, `F={"max":3}(application/json)`},
	} {
		var parts []string
		for _, p := range formPairs("F", c.v, c.enc, c.multipart) {
			s := p[0] + "=" + p[1]
			if p[2] != "" {
				s += "(" + p[2] + ")"
			}
			parts = append(parts, s)
		}
		if got := strings.Join(parts, "&"); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestFragmentPathKeepsQueryAndVariable: Box's "/files/{file_id}#get_shared_link"
// is sent as /files/:file_id with its query; the fragment is dropped and the
// id stays a path variable.
func TestFragmentPathKeepsQueryAndVariable(t *testing.T) {
	res := gen(t, `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /files/{file_id}#get_shared_link:
    get:
      summary: Get shared link
      parameters:
        - {name: file_id, in: path, required: true, example: '12345', schema: {type: string}}
        - {name: fields, in: query, required: true, schema: {type: string, enum: [shared_link]}}
      responses: {'200': {description: ok}}
`, Options{})
	r := requests(t, res)["Get shared link"]["request"].(jmap)
	u := r["url"].(jmap)
	if raw := u["raw"].(string); raw != "{{base_url}}/files/:file_id?fields=shared_link" {
		t.Errorf("raw URL %q", raw)
	}
	vars := u["variable"].([]any)
	if len(vars) != 1 || vars[0].(jmap)["key"] != "file_id" || vars[0].(jmap)["value"] != "12345" {
		t.Errorf("path variables %v", vars)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, "inside a segment") {
			t.Errorf("unexpected warning %s", w)
		}
	}
}
