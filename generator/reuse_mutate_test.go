package generator

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
	"go.yaml.in/yaml/v4"
)

// mutantBuilder is newTestBuilder without t.Fatal: a mutant may not build.
func mutantBuilder(doc *openapi3.T, opts Options, noReuse bool) ([]*postman.Items, *builder, error) {
	b, err := newBuilder(doc, opts)
	if err != nil {
		return nil, nil, err
	}
	b.reuse.off = noReuse
	items, _, _, err := b.collectionItems()
	return items, b, err
}

// TestMutantsReuseAndItemEncoder: on structural mutants of the fixtures,
// the builder's caches change nothing (requests, warnings, variable
// examples, opt-ins) and the direct item encoder writes the library's bytes.
func TestMutantsReuseAndItemEncoder(t *testing.T) {
	seeds := [][]byte{synthSpec(6)}
	for _, p := range []string{"testdata/petstore/openapi.yaml", "testdata/composition/openapi.yaml", "testdata/forms/openapi.yaml",
		"testdata/v31/openapi.yaml", "testdata/refbody/openapi.yaml", "testdata/circular/openapi.yaml", "testdata/extensions/openapi.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	n := 300
	if s := os.Getenv("OBPM_MUTANTS"); s != "" {
		fmt.Sscan(s, &n)
	}
	seed := uint64(21)
	if s := os.Getenv("OBPM_MUTANT_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	built, failures := 0, 0
	for i := 0; i < n && failures < 5; i++ {
		var tree yaml.Node
		if err := yaml.Unmarshal(seeds[i%len(seeds)], &tree); err != nil {
			t.Fatal(err)
		}
		m := &mutator{r: r}
		m.collect(&tree, 0)
		for range 1 + r.IntN(3) {
			m.mutate()
		}
		data, err := yaml.Marshal(&tree)
		if err != nil {
			continue
		}
		opts := Options{}
		if i%2 == 1 {
			opts.Folders = FoldersByPath
		}
		// Two loads: the builders must not share a document.
		d1, err1 := LoadData(context.Background(), data, "")
		d2, err2 := LoadData(context.Background(), data, "")
		if err1 != nil || err2 != nil {
			continue
		}
		with, wb, werr := mutantBuilder(d1, opts, false)
		without, nb, nerr := mutantBuilder(d2, opts, true)
		if (werr != nil) != (nerr != nil) || werr != nil && werr.Error() != nerr.Error() {
			failures++
			t.Errorf("mutant %d: errors differ: with reuse %v, without %v\n%s", i, werr, nerr, truncate(string(data), 3000))
			continue
		}
		if werr != nil {
			continue
		}
		built++
		a, b := encodeAll(t, with), encodeAll(t, without)
		switch {
		case !bytes.Equal(a, b):
			failures++
			t.Errorf("mutant %d: requests differ (\"golden\" is without reuse):\n%s\n%s", i, firstDiff(b, a), truncate(string(data), 3000))
		case !reflect.DeepEqual(wb.warnings, nb.warnings):
			failures++
			t.Errorf("mutant %d: warnings differ:\n with    %v\n without %v\n%s", i, wb.warnings, nb.warnings, truncate(string(data), 3000))
		case !reflect.DeepEqual(wb.varExamples, nb.varExamples) || !reflect.DeepEqual(wb.optIn, nb.optIn) || !reflect.DeepEqual(wb.manual, nb.manual):
			failures++
			t.Errorf("mutant %d: variable examples, opt-ins or manual requests differ\n%s", i, truncate(string(data), 3000))
		}
		var cov itemCoverage
		compareItemEncoders(t, with, "\t", &cov)
	}
	t.Logf("%d of %d mutants built", built, n)
}
