package generator

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"

	"github.com/obpm/obpm/specs"
)

// buildItems runs the request-building half of Generate on doc and returns
// its items (folders and requests). It sets the builder up as Generate does.
func buildItems(t testing.TB, doc *openapi3.T, opts Options) []*postman.Items {
	t.Helper()
	items, _ := newTestBuilder(t, doc, opts, false)
	return items
}

// newTestBuilder builds the items of doc with a builder set up as Generate
// sets it up; noReuse turns off what reuse.go remembers.
func newTestBuilder(t testing.TB, doc *openapi3.T, opts Options, noReuse bool) ([]*postman.Items, *builder) {
	t.Helper()
	items, b, err := mutantBuilder(doc, opts, noReuse)
	if err != nil {
		t.Fatal(err)
	}
	return items, b
}

// itemCoverage counts the request items of one document and how many of them
// the direct encoder wrote.
type itemCoverage struct{ requests, fast int }

// compareItemEncoders checks that encodeValue writes every request item of
// items as the library path does, at the prefix marshalCollection gives it.
func compareItemEncoders(t *testing.T, items []*postman.Items, prefix string, cov *itemCoverage) {
	t.Helper()
	for _, it := range items {
		if it.IsGroup() {
			compareItemEncoders(t, it.Items, prefix+"\t\t", cov)
			continue
		}
		cov.requests++
		want, werr := encodeLibrary(it, prefix+"\t")
		if _, ok := appendItem(nil, it, prefix+"\t"); ok {
			cov.fast++
		}
		got, gerr := encodeValue(it, prefix+"\t")
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%s: library error %v, encodeValue error %v", it.Name, werr, gerr)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encodeValue differs from the library path (\"golden\" is the library):\n%s", it.Name, firstDiff(want, got))
		}
	}
}

// TestItemEncoderIsLibrary is the oracle of the direct encoder: on every
// document under testdata (golden cases, corpus, judge), the embedded Open
// Banking document and the synthetic spec, every request item encodes to the
// library path's bytes. The large documents must take the direct path
// (nearly) always, or the speed-up is gone unnoticed.
func TestItemEncoderIsLibrary(t *testing.T) {
	var total itemCoverage
	for _, d := range testDocuments(t) {
		t.Run(d.name, func(t *testing.T) {
			var cov itemCoverage
			compareItemEncoders(t, buildItems(t, d.load(t), Options{}), "\t", &cov)
			t.Logf("%d of %d request items by the direct encoder", cov.fast, cov.requests)
			if float64(cov.fast) < d.minFast*float64(cov.requests) {
				t.Errorf("only %d of %d request items took the direct encoder, want ≥ %.0f%%", cov.fast, cov.requests, 100*d.minFast)
			}
			total.requests += cov.requests
			total.fast += cov.fast
		})
	}
	t.Logf("all documents: %d of %d request items by the direct encoder", total.fast, total.requests)
	if total.fast < total.requests*99/100 {
		t.Errorf("only %d of %d request items took the direct encoder", total.fast, total.requests)
	}
}

// testDocument is one document the encoder and reuse oracles run on.
type testDocument struct {
	name    string
	load    func(t *testing.T) *openapi3.T
	minFast float64 // share of requests the direct encoder must write
}

// testDocuments lists every document under testdata (golden cases, judge,
// corpus), the embedded Open Banking document and a synthetic spec.
func testDocuments(t *testing.T) []testDocument {
	type doc = testDocument
	file := func(p string, lo LoadOptions) func(t *testing.T) *openapi3.T {
		return func(t *testing.T) *openapi3.T {
			d, _, err := LoadFile(context.Background(), p, lo)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	var docs []doc
	for _, name := range fixtures(t) {
		docs = append(docs, doc{name: name, load: file(filepath.Join("testdata", name, "openapi.yaml"), LoadOptions{})})
	}
	judge, _ := filepath.Glob(filepath.Join("testdata", "judge", "*.yaml"))
	for _, p := range judge {
		docs = append(docs, doc{name: filepath.ToSlash(p), load: file(p, LoadOptions{})})
	}
	err := filepath.WalkDir(filepath.Join("testdata", "corpus"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".json" {
			return nil
		}
		lo := LoadOptions{}
		if strings.Contains(p, "petstore-separate") {
			if filepath.Base(p) != "swagger.yaml" {
				return nil // parts of spec/swagger.yaml
			}
			lo.Root = filepath.Dir(filepath.Dir(p))
		}
		minFast := 0.0
		if strings.Contains(p, "box") || strings.Contains(p, "openai") {
			minFast = 0.99
		}
		docs = append(docs, doc{name: filepath.ToSlash(p), load: file(p, lo), minFast: minFast})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs,
		doc{name: "specs/" + specs.OpenBankingFile, minFast: 1, load: func(t *testing.T) *openapi3.T {
			d, err := specs.LoadOpenBanking(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}},
		doc{name: "synthSpec(600)", minFast: 1, load: func(t *testing.T) *openapi3.T {
			d, err := LoadData(context.Background(), synthSpec(600), "")
			if err != nil {
				t.Fatal(err)
			}
			return d
		}},
	)
	return docs
}

// TestItemEncoderEdgeCases compares the direct encoder with the library path
// on strings and shapes the documents above may not hold: escaping, marked
// keys in every place patch rewrites them, empty versus nil lists, nil
// elements, and the library's quirks the direct encoder leaves to it.
func TestItemEncoderEdgeCases(t *testing.T) {
	tricky := []string{
		``, `plain`, `"quoted" 'single'`, `back\slash \\ \u003c \\u003c`, "ctl \x00\x01\x07\b\f\n\r\t\x1b\x1f\x7f end",
		`<script>a && b > c</script> &amp;`, "line\u2028sep\u2029para", "bad \xff\xfe utf8 \xe2\x80 cut \xc3", "한국어 😀 \u00e9",
		"{{base_url}}/x?a=1&b=<2>", disabledMark + `key"<&>`, "a" + disabledMark, "\u0000obpm:disabled",
	}
	desc := "query description"
	item := func(s string) *postman.Items {
		return &postman.Items{
			Name: s, Description: s, ID: s,
			Variables: []*postman.Variable{{Key: s, Value: s}, {ID: s, Key: s, Disabled: true, System: true}},
			Events:    []*postman.Event{postman.CreateEvent(postman.Test, []string{s, "", s + s})},
			Request: &postman.Request{
				URL: &postman.URL{Raw: s, Protocol: s, Host: []string{s}, Path: []string{s, ""}, Port: s, Hash: s,
					Query:     []*postman.QueryParam{{Key: s, Value: s}, {Key: disabledMark + s, Value: s, Description: &desc}, {Key: disabledMark}},
					Variables: []*postman.Variable{{Key: s, Value: s, Description: s}}},
				Auth:        &postman.Auth{Type: "apikey", APIKey: []*postman.AuthParam{strParam(s, s), {Key: s}, {Value: true}, {Value: ""}}},
				Method:      postman.Method(s),
				Description: s,
				Header:      []*postman.Header{{Key: s, Value: s, Description: s, Disabled: true}, {Key: disabledMark + s}},
				Body: &postman.Body{Mode: s, Raw: s,
					URLEncoded: []formField{{Key: s, Value: s, Type: s, Src: s, Description: s, Disabled: true, ContentType: s}, {Key: disabledMark + s}},
					Options:    &postman.BodyOptions{Raw: postman.BodyOptionsRaw{Language: s}}},
			},
			Responses: []*postman.Response{{ID: s, Name: s, Status: s, Body: s, Code: 201, PreviewLanguage: s,
				Headers:         &postman.HeaderList{Headers: []*postman.Header{{Key: s, Value: s}}},
				OriginalRequest: &postman.Request{Method: "POST", URL: &postman.URL{Raw: s}}}},
		}
	}
	type tc struct {
		name string
		it   *postman.Items
		fast bool // the direct encoder takes it
	}
	var cases []tc
	for _, s := range tricky {
		cases = append(cases, tc{"string " + strings.ToValidUTF8(s, "?"), item(s), true})
	}
	shape := func(name string, fast bool, edit func(it *postman.Items)) {
		it := item("x")
		edit(it)
		cases = append(cases, tc{name, it, fast})
	}
	shape("empty lists omitted", true, func(it *postman.Items) {
		it.Variables, it.Events, it.Responses = []*postman.Variable{}, []*postman.Event{}, []*postman.Response{}
		it.Request.Header = []*postman.Header{}
		it.Request.URL.Host, it.Request.URL.Path, it.Request.URL.Query = []string{}, nil, []*postman.QueryParam{}
		it.Request.Auth = &postman.Auth{Type: "noauth"}
	})
	shape("empty script and options", true, func(it *postman.Items) {
		it.Events = []*postman.Event{{Listen: postman.PreRequest, Script: &postman.Script{Exec: []string{}}}, {Disabled: true}}
		it.Request.Body = &postman.Body{Mode: "raw", Options: &postman.BodyOptions{}}
	})
	shape("nil and empty form fields", true, func(it *postman.Items) {
		it.Request.Body = &postman.Body{Mode: "formdata", URLEncoded: []formField(nil), FormData: []formField{}, Disabled: true}
	})
	shape("response header lists nil and empty", true, func(it *postman.Items) {
		it.Responses = []*postman.Response{{Headers: &postman.HeaderList{}}, {Headers: &postman.HeaderList{Headers: []*postman.Header{}}, Code: -1}, {}}
	})
	shape("nil elements", true, func(it *postman.Items) {
		it.Events = []*postman.Event{nil}
		it.Variables = []*postman.Variable{nil}
		it.Responses = []*postman.Response{nil}
		it.Request.Header = []*postman.Header{nil}
		it.Request.URL.Query = []*postman.QueryParam{nil}
		it.Request.Auth.APIKey = []*postman.AuthParam{nil}
	})
	shape("nil URL, empty description", true, func(it *postman.Items) {
		it.Request.URL = nil
		it.Request.Description = ""
	})
	shape("all auth types", true, func(it *postman.Items) {
		p := []*postman.AuthParam{strParam("k", "v")}
		it.Request.Auth = &postman.Auth{Type: "oauth2", APIKey: p, AWSV4: p, Basic: p, Bearer: p, Digest: p, Hawk: p, NoAuth: p, OAuth1: p, OAuth2: p, NTLM: p}
	})
	// The library's quirks and types the direct encoder leaves to it.
	shape("GET with only a URL: the library's bare string", false, func(it *postman.Items) {
		it.Request = &postman.Request{Method: postman.Get, URL: &postman.URL{Raw: "{{base_url}}/pets"}}
	})
	shape("description object", false, func(it *postman.Items) {
		it.Request.Description = postman.Description{Content: "c", Type: "text/markdown"}
	})
	shape("number auth value", false, func(it *postman.Items) {
		it.Request.Auth.APIKey = []*postman.AuthParam{{Key: "k", Value: 3}}
	})
	shape("protocolProfileBehavior", false, func(it *postman.Items) {
		it.ProtocolProfileBehavior = map[string]bool{"disableBodyPruning": true}
	})
	shape("graphql body", false, func(it *postman.Items) {
		it.Request.Body = &postman.Body{Mode: "graphql", GraphQL: map[string]string{"query": "{a}"}}
	})
	shape("other form type", false, func(it *postman.Items) {
		it.Request.Body = &postman.Body{Mode: "urlencoded", URLEncoded: []map[string]string{{"key": "a"}}}
	})
	shape("script src", false, func(it *postman.Items) {
		it.Events[0].Script.Src = &postman.URL{Raw: "x"}
	})
	shape("cookies", false, func(it *postman.Items) {
		it.Responses[0].Cookies = []*postman.Cookie{{Domain: "d"}}
	})
	// Collection.Write stamps its version on URLs and auths; v2.0.0 writes
	// them in other forms.
	for ver, fast := range map[string]bool{string(postman.V200): false, string(postman.V210): true} {
		shape("written as "+ver, fast, func(it *postman.Items) {
			c := &postman.Collection{Items: []*postman.Items{it}}
			w := postman.V210
			if ver == string(postman.V200) {
				w = postman.V200
			}
			if err := c.Write(io.Discard, w); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, prefix := range []string{"", "\t\t"} {
				want, werr := encodeLibrary(c.it, prefix)
				_, fast := appendItem(nil, c.it, prefix)
				if fast != c.fast {
					t.Errorf("direct encoder taken: %v, want %v", fast, c.fast)
				}
				got, gerr := encodeValue(c.it, prefix)
				if werr != nil || gerr != nil {
					t.Fatalf("library error %v, encodeValue error %v", werr, gerr)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("differs from the library path (\"golden\" is the library):\n%s", firstDiff(want, got))
				}
			}
		})
	}
}
