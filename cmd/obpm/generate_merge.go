package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/generator"
	"github.com/obpm/obpm/internal/atomicfile"
	"github.com/obpm/obpm/merge"
)

// MergeOptions are the --merge flags of `obpm generate`.
type MergeOptions struct {
	Exports []string // the Postman export(s): one collection, any environments
	Prefer  string   // "yours" (default) or "spec": who wins a conflict
	Prune   bool
	Report  string // Markdown report file
}

func mergeFlags(cmd *cobra.Command, o *MergeOptions) {
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Exports, "merge", nil, "merge with this collection exported from Postman (v2.1) instead of overwriting; repeat for exported environments")
	fl.StringVar(&o.Prefer, "merge-prefer", "", "who wins where you and the spec changed the same field: yours (the default) or spec")
	fl.BoolVar(&o.Prune, "prune", false, "with --merge: delete requests whose operation left the spec instead of moving them to \""+merge.RemovedFolder+"\"")
	fl.StringVar(&o.Report, "merge-report", "", "with --merge: write every kept edit, update, conflict and removal to this Markdown file")
}

func (o *MergeOptions) validate(check bool) error {
	if o.Prefer != "" && o.Prefer != "yours" && o.Prefer != "spec" {
		return flagErrorf("--merge-prefer must be yours or spec, not %q", o.Prefer)
	}
	if len(o.Exports) == 0 && (o.Prune || o.Report != "" || o.Prefer != "") {
		return flagErrorf("--prune, --merge-prefer and --merge-report go with --merge EXPORTED.json")
	}
	if len(o.Exports) > 0 && check {
		return flagErrorf("--check and --merge do not go together")
	}
	return nil
}

// generateMerge writes the three-way merge of the user's export, the new
// generation and the last generation (kept in OUT/.obpm-base), prints one
// summary line and, when asked, the Markdown report.
func generateMerge(f *Factory, opts *GenerateOptions, res *generator.Result) error {
	gen := make([]merge.File, len(res.Files))
	for i, file := range res.Files {
		gen[i] = merge.File{Name: file.Name, Data: file.Data}
	}
	plan, err := merge.Files(opts.Out, gen, opts.Merge.Exports, merge.Options{PreferSpec: opts.Merge.Prefer == "spec", Prune: opts.Merge.Prune})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return fmt.Errorf("create output folder %s: %w", opts.Out, err)
	}
	set := make([]atomicfile.File, len(plan.Files))
	for i, file := range plan.Files {
		set[i] = atomicfile.File{Name: file.Name, Data: file.Data, Perm: 0o644}
		// The merge keeps the secrets of the user's export (the helper key
		// pasted into Postman, passwords): such a file is owner-only, and
		// said, since the shared files are otherwise meant to be committed.
		if keys := secretValues(file.Data); len(keys) > 0 {
			set[i].Perm = 0o600
			fmt.Fprintf(f.ErrOut, "! %s keeps your secret value(s) %s from the export: written owner-only (0600); do not commit it (obpm generate --with-key puts the helper key into the git-ignored local/ copies instead)\n",
				filepath.Join(opts.Out, file.Name), strings.Join(keys, ", "))
		}
	}
	if err := atomicfile.WriteAll(opts.Out, set); err != nil {
		return err
	}
	if err := plan.SaveSnapshot(); err != nil {
		return err
	}
	if opts.Merge.Report != "" {
		if err := atomicfile.Write(opts.Merge.Report, plan.Report.Markdown(), 0o644); err != nil {
			return fmt.Errorf("--merge-report: %w", err)
		}
	}
	fmt.Fprintf(f.Out, "wrote %s (merged)\n", filepath.Join(opts.Out, res.Files[0].Name))
	fmt.Fprintln(f.Out, plan.Report.Summary())
	return nil
}

// secretValues names the variables of a Postman environment that hold a
// non-empty secret: the helper key, or any variable of type secret. Other
// files (the collection) have none.
func secretValues(data []byte) []string {
	var env struct {
		Values []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
			Type  string `json:"type"`
		} `json:"values"`
	}
	if json.Unmarshal(data, &env) != nil {
		return nil
	}
	var keys []string
	for _, v := range env.Values {
		if s, _ := v.Value.(string); s != "" && (v.Type == "secret" || v.Key == "obpm_helper_key") {
			keys = append(keys, v.Key)
		}
	}
	return keys
}
