package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/obpm/obpm/sandbox"
)

// specOp is one business operation of the spec with a request built from
// its examples, as the generated collection sends it.
type specOp struct {
	method, path string
	op           *openapi3.Operation
	manual       bool
	line         int
}

func businessOps(doc *openapi3.T) []specOp {
	var ops []specOp
	for _, p := range doc.Paths.InMatchingOrder() {
		if !strings.HasPrefix(p, "/v2.0/") {
			continue
		}
		for m, op := range doc.Paths.Value(p).Operations() {
			so := specOp{method: m, path: p, op: op, manual: op.Extensions["x-obpm-run"] == "manual"}
			if op.Origin != nil && op.Origin.Key != nil {
				so.line = op.Origin.Key.Line
			}
			ops = append(ops, so)
		}
	}
	// Document order, manual operations last, as a collection run goes.
	sort.SliceStable(ops, func(i, j int) bool {
		if ops[i].manual != ops[j].manual {
			return !ops[i].manual
		}
		if ops[i].line != ops[j].line {
			return ops[i].line < ops[j].line
		}
		return ops[i].path+ops[i].method < ops[j].path+ops[j].method
	})
	return ops
}

// exampleOf picks a parameter's or media type's example.
func exampleOf(example any, examples openapi3.Examples, schema *openapi3.SchemaRef) any {
	if example != nil {
		return example
	}
	keys := make([]string, 0, len(examples))
	for k := range examples {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if ex := examples[k]; ex != nil && ex.Value != nil {
			return ex.Value.Value
		}
	}
	if schema != nil && schema.Value != nil {
		return schema.Value.Example
	}
	return nil
}

// fresh fills what the collection's pre-request script generates: a new
// bank_tran_id and the current tran_dtime, at any depth.
func fresh(v any, next func() string, dtime string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			switch k {
			case "bank_tran_id":
				out[k] = next()
			case "tran_dtime":
				out[k] = dtime
			default:
				out[k] = fresh(val, next, dtime)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = fresh(x[i], next, dtime)
		}
		return out
	}
	return v
}

// buildRequest makes the request of an operation from its examples.
func buildRequest(t *testing.T, base string, so specOp, next func() string, dtime string) *http.Request {
	t.Helper()
	q := url.Values{}
	for _, pr := range so.op.Parameters {
		p := pr.Value
		if p.In != "query" {
			continue
		}
		v := exampleOf(p.Example, p.Examples, p.Schema)
		switch {
		case p.Extensions["x-obpm-generate"] == "bank_tran_id" || p.Name == "bank_tran_id":
			v = next()
		case p.Extensions["x-obpm-generate"] == "tran_dtime" || p.Name == "tran_dtime":
			v = dtime
		}
		if v == nil {
			if p.Required {
				t.Fatalf("%s %s: required parameter %s has no example", so.method, so.path, p.Name)
			}
			continue
		}
		q.Set(p.Name, fmt.Sprint(v))
	}
	target := base + so.path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	if rb := so.op.RequestBody; rb != nil && rb.Value != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil {
			ex := exampleOf(mt.Example, mt.Examples, mt.Schema)
			if ex == nil {
				t.Fatalf("%s %s: request body has no example", so.method, so.path)
			}
			b, _ := json.Marshal(fresh(ex, next, dtime))
			body = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(so.method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	return req
}

// tokenFor picks the token of the operation's first security requirement.
func tokenFor(doc *openapi3.T, op *openapi3.Operation, user, inst string) string {
	if op.Security == nil || len(*op.Security) == 0 {
		return ""
	}
	for name := range (*op.Security)[0] {
		if doc.Components.SecuritySchemes[name].Value.Extensions["x-obpm-token-kind"] == "institution" {
			return inst
		}
	}
	return user
}

// TestEveryOperationValidates walks every business operation of the spec
// twice (a repeated collection run), with requests built from the spec's
// examples, and checks that each answers A0000 with a body that validates
// against the operation's response schema.
func TestEveryOperationValidates(t *testing.T) {
	doc := loadSpec(t)
	e := start(t, sandbox.Config{Spec: doc})
	user := e.userTokenScope("user1", allUserScopes)["access_token"].(string)
	inst := e.institutionToken("oob sa")
	router := specRouter(t, doc)
	n := 0
	next := func() string { n++; return tranID(n) }
	ops := businessOps(doc)
	if len(ops) < 5 {
		t.Fatalf("only %d business operations in the spec", len(ops))
	}
	for round := 1; round <= 2; round++ {
		for _, so := range ops {
			t.Run(fmt.Sprintf("%d %s %s", round, so.method, so.path), func(t *testing.T) {
				req := buildRequest(t, e.ts.URL, so, next, "20261126101010")
				if tok := tokenFor(doc, so.op, user, inst); tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				var reqBody []byte
				if req.Body != nil {
					reqBody, _ = io.ReadAll(req.Body)
					req.Body = io.NopCloser(bytes.NewReader(reqBody))
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatalf("not JSON: %s", body)
				}
				if m["rsp_code"] != "A0000" {
					t.Fatalf("rsp_code %v %v; request %s; body %s", m["rsp_code"], m["rsp_message"], reqBody, body)
				}
				vreq, _ := http.NewRequest(so.method, req.URL.String(), bytes.NewReader(reqBody))
				vreq.Header = req.Header.Clone()
				route, params, err := router.FindRoute(vreq)
				if err != nil {
					t.Fatal(err)
				}
				validate := func(b []byte) error {
					return validateResponse(vreq, route, params, resp.StatusCode, resp.Header, b)
				}
				if err := validate(body); err != nil {
					t.Fatalf("response does not validate: %v\nbody %s", err, body)
				}
				// The check has teeth: a wrong rsp_code type is caught.
				m["rsp_code"] = 0
				bad, _ := json.Marshal(m)
				if validate(bad) == nil {
					t.Fatalf("a response with a numeric rsp_code validated")
				}
			})
		}
		// The manual operations (unlink, close, cancel) broke the user's
		// link; consenting again restores it, as a person would.
		user = e.userTokenScope("user1", allUserScopes)["access_token"].(string)
	}
}
