package main

import (
	"fmt"
	"path/filepath"

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
	out := make([]generator.File, len(plan.Files))
	for i, file := range plan.Files {
		out[i] = generator.File{Name: file.Name, Data: file.Data}
	}
	if err := writeFiles(opts.Out, out); err != nil {
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
