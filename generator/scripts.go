package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"text/template"

	"github.com/obpm/obpm/templates"
)

// Script template names, in templates/postman/ (or the --templates folder).
const (
	tmplCollectionPre = "collection-prerequest.js.tmpl"
	tmplRequestTest   = "request-test.js.tmpl"
	tmplRequestPre    = "request-prerequest.js.tmpl"
)

type scriptTemplates struct {
	collectionPre, requestTest, requestPre *template.Template
}

// loadTemplates parses the embedded script templates; a file of the same name
// in override replaces the embedded one.
func loadTemplates(override fs.FS) (*scriptTemplates, error) {
	embedded, err := fs.Sub(templates.Postman, "postman")
	if err != nil {
		return nil, fmt.Errorf("embedded templates: %w", err)
	}
	load := func(name string) (*template.Template, error) {
		src, origin := []byte(nil), "embedded templates/postman/"+name
		if override != nil {
			data, err := fs.ReadFile(override, name)
			switch {
			case err == nil:
				src, origin = data, name+" (from --templates)"
			case !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("read template %s: %w", name, err)
			}
		}
		if src == nil {
			if src, err = fs.ReadFile(embedded, name); err != nil {
				return nil, fmt.Errorf("read template %s: %w", origin, err)
			}
		}
		t, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{"json": jsonText}).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w; fix the template syntax", origin, err)
		}
		return t, nil
	}
	var st scriptTemplates
	for _, x := range []struct {
		name string
		dst  **template.Template
	}{{tmplCollectionPre, &st.collectionPre}, {tmplRequestTest, &st.requestTest}, {tmplRequestPre, &st.requestPre}} {
		if *x.dst, err = load(x.name); err != nil {
			return nil, err
		}
	}
	return &st, nil
}

// jsonText renders a value as JSON for a script, without HTML escaping.
func jsonText(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// render executes a template into Postman's script form: one string per line.
func render(t *template.Template, data any) ([]string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render template %s: %w", t.Name(), err)
	}
	return strings.Split(strings.TrimRight(buf.String(), "\n"), "\n"), nil
}

type collectionScriptData struct {
	Manual     map[string]string // request id → request name
	TokenKinds map[string]string // token variable → helper kind
	Stamp      bool              // set bank_tran_id and tran_dtime (Open Banking documents)
}

type testScriptData struct {
	Name     string
	Status   []int
	Schema   string // compact JSON Schema, or "" for none
	Captures []capture
}
