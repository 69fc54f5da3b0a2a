package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/spf13/cobra"

	"github.com/obpm/obpm/generator"
	"github.com/obpm/obpm/internal/atomicfile"
	"github.com/obpm/obpm/specs"
)

// GenerateOptions are the flags of `obpm generate`.
type GenerateOptions struct {
	Spec      string // "" = the embedded Open Banking document
	Out       string
	Name      string
	Folders   string
	Envs      []string
	Templates string
	Check     bool
	Watch     bool
	WithKey   bool
	Insecure  bool // --insecure-storage: read the key from the 0600 file store
	Merge     MergeOptions
	// AllowExternalRefs and AllowRemoteRefs widen what the spec's $refs may
	// read: files outside its folder, http(s) URLs (issue 12).
	AllowExternalRefs bool
	AllowRemoteRefs   bool
}

func newCmdGenerate(f *Factory, runF func(*GenerateOptions) error) *cobra.Command {
	opts := &GenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a Postman collection and environments",
		Long: `Generate a Postman Collection v2.1 and one Postman environment per server (plus
"sandbox" for obpm sandbox, for the Open Banking document and documents with
x-obpm-* extensions) from the embedded Open Banking document or any OpenAPI
3.0/3.1 or Swagger 2.0 file. Import the files into Postman, or run them with Newman.

$refs may read files under the spec's folder only; --allow-external-refs lets
them read other files and --allow-remote-refs fetch http(s) URLs. A part of the
document that cannot be used is left out with a warning naming its place.`,
		Example: `  obpm generate                          # Open Banking → ./postman/
  obpm generate --spec api.yaml --out postman --folders paths
  obpm generate --check                  # exit 1 when ./postman is out of date
  obpm generate --spec api.yaml --watch  # regenerate on every save`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Folders != string(generator.FoldersByTag) && opts.Folders != string(generator.FoldersByPath) {
				return flagErrorf("--folders must be tags or paths, not %q", opts.Folders)
			}
			if opts.Check && opts.Watch {
				return flagErrorf("--check and --watch do not go together")
			}
			if err := opts.Merge.validate(opts.Check); err != nil {
				return err
			}
			if opts.Watch && opts.Spec == "" && opts.Templates == "" {
				return flagErrorf("--watch needs --spec FILE or --templates DIR to watch")
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Watch {
				return generateWatch(cmd.Context(), f, opts)
			}
			return generateRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Spec, "spec", "", "OpenAPI 3.0/3.1 or Swagger 2.0 file (YAML or JSON); default: the embedded Open Banking document")
	fl.StringVarP(&opts.Out, "out", "o", "postman", "output folder")
	fl.StringVar(&opts.Name, "name", "", "collection name (default: the document's title)")
	fl.StringVar(&opts.Folders, "folders", "tags", "group requests by tags or paths")
	fl.StringSliceVar(&opts.Envs, "env", nil, "environments to write, e.g. sandbox,testbed (default: all)")
	fl.StringVar(&opts.Templates, "templates", "", "folder with script templates overriding the embedded ones")
	fl.BoolVar(&opts.Check, "check", false, "write nothing; exit 1 when the files on disk differ")
	fl.BoolVar(&opts.Watch, "watch", false, "regenerate whenever the spec or templates change")
	fl.BoolVar(&opts.WithKey, "with-key", false, "also write copies of the environments into OUT/local/ (owner-only, git-ignored) with the helper key and the running helper's and sandbox's URLs; the shared files never hold the key")
	mergeFlags(cmd, &opts.Merge)
	fl.BoolVar(&opts.AllowExternalRefs, "allow-external-refs", false, "let the spec's $refs read files outside its folder")
	fl.BoolVar(&opts.AllowRemoteRefs, "allow-remote-refs", false, "let the spec's $refs fetch http(s) URLs")
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

// loadHelperKey reads the helper daemon's key for --with-key from the keyring
// (or the opt-in file store), as `obpm serve` and `obpm env-key` keep it.
func loadHelperKey(ctx context.Context, f *Factory, insecure bool) (string, error) {
	env, err := openAuth(f, insecure)
	if err != nil {
		return "", fmt.Errorf("--with-key: %w", err)
	}
	key, err := env.tokens.HelperKey(ctx)
	if err != nil {
		return "", fmt.Errorf("--with-key: %w", err)
	}
	return key, nil
}

// build loads the document and generates the files in memory.
func build(ctx context.Context, f *Factory, opts *GenerateOptions) (*generator.Result, string, error) {
	stem := ""
	if opts.Spec == "" {
		stem = "openbanking"
	}
	gopts := generator.Options{Name: opts.Name, FileStem: stem, Folders: generator.FolderMode(opts.Folders), Envs: opts.Envs}
	if opts.Name != "" {
		gopts.FileStem = ""
	}
	var tmplErr error
	if opts.Templates != "" {
		st, err := os.Stat(opts.Templates)
		if err != nil || !st.IsDir() {
			tmplErr = fmt.Errorf("--templates %s: not a folder; give the folder holding *.js.tmpl files", opts.Templates)
		} else {
			gopts.Templates = os.DirFS(opts.Templates)
		}
	}
	var (
		res      *generator.Result
		warnings []generator.Warning
		err      error
	)
	switch {
	case opts.Spec == "":
		var doc *openapi3.T
		if doc, err = specs.LoadOpenBanking(ctx); err == nil && tmplErr == nil {
			gopts.OpenBanking = true // the document the sandbox serves
			res, err = generator.Generate(doc, gopts)
		}
	case tmplErr != nil:
		// A document that does not load is reported first, as always.
		_, _, err = generator.LoadFile(ctx, opts.Spec, loadOptions(opts))
	default:
		// Load and generate in one go: a large document is taken one
		// path item at a time (generator.GenerateFile).
		res, warnings, err = generator.GenerateFile(ctx, opts.Spec, loadOptions(opts), gopts)
	}
	if err == nil {
		err = tmplErr
	}
	if err != nil {
		return nil, "", err
	}
	res.Warnings = append(warnings, res.Warnings...)
	src := opts.Spec
	if src == "" {
		src = "embedded " + specs.OpenBankingFile
	}
	return res, src, nil
}

func loadOptions(opts *GenerateOptions) generator.LoadOptions {
	return generator.LoadOptions{AllowExternalRefs: opts.AllowExternalRefs, AllowRemoteRefs: opts.AllowRemoteRefs}
}

func generateRun(ctx context.Context, f *Factory, opts *GenerateOptions) error {
	// The key is read first: a missing key fails before anything is written.
	// --check compares only the shared files, which never hold the key, so
	// it does not need it.
	var key string
	if opts.WithKey && !opts.Check {
		var err error
		if key, err = loadHelperKey(ctx, f, opts.Insecure); err != nil {
			return err
		}
	}
	res, src, err := build(ctx, f, opts)
	if err != nil {
		return err
	}
	for _, w := range generator.Condense(res.Warnings) {
		fmt.Fprintf(f.ErrOut, "! %s\n", w)
	}
	if opts.Check {
		stale := staleFiles(opts.Out, res.Files)
		if len(stale) == 0 {
			fmt.Fprintf(f.Out, "%s is up to date (%s)\n", opts.Out, res.Counts)
			return nil
		}
		for _, s := range stale {
			fmt.Fprintf(f.Out, "differs: %s\n", s)
		}
		return &ExitError{Code: exitError, Err: fmt.Errorf("%d file(s) in %s differ from %s; run `obpm generate` to update them", len(stale), opts.Out, src)}
	}
	if len(opts.Merge.Exports) > 0 {
		if err := generateMerge(f, opts, res); err != nil {
			return err
		}
		if opts.WithKey {
			return writeLocalEnvs(f, opts.Out, res.Files, key)
		}
		return nil
	}
	if err := writeFiles(opts.Out, res.Files); err != nil {
		return err
	}
	for i, file := range res.Files {
		p := filepath.Join(opts.Out, file.Name)
		if i == 0 {
			fmt.Fprintf(f.Out, "wrote %s (%d requests in %d folders, %d events)\n", p, res.Counts.Requests, res.Counts.Folders, res.Counts.Events)
		} else {
			fmt.Fprintf(f.Out, "wrote %s\n", p)
		}
	}
	if res.Counts.Webhooks > 0 {
		fmt.Fprintf(f.Out, "%d webhooks listed in the collection description\n", res.Counts.Webhooks)
	}
	if opts.WithKey {
		return writeLocalEnvs(f, opts.Out, res.Files, key)
	}
	return nil
}

// staleFiles names the files whose content on disk differs or is missing.
func staleFiles(dir string, files []generator.File) []string {
	var out []string
	for _, file := range files {
		p := filepath.Join(dir, file.Name)
		old, err := os.ReadFile(p)
		if err != nil {
			out = append(out, p+" (missing)")
			continue
		}
		if !bytes.Equal(old, file.Data) {
			out = append(out, p)
		}
	}
	return out
}

// writeFiles writes the generated files into dir as one set
// (atomicfile.WriteAll): a failed run leaves the earlier output whole.
func writeFiles(dir string, files []generator.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output folder %s: %w", dir, err)
	}
	set := make([]atomicfile.File, len(files))
	for i, f := range files {
		set[i] = atomicfile.File{Name: f.Name, Data: f.Data, Perm: 0o644}
	}
	return atomicfile.WriteAll(dir, set)
}

// generateWatch regenerates whenever a file beside the spec (multi-file specs
// included) or a template changes, until ctx ends. Errors are printed and the
// last good output stays.
func generateWatch(ctx context.Context, f *Factory, opts *GenerateOptions) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Close()
	var roots []string
	if opts.Spec != "" {
		roots = append(roots, filepath.Dir(opts.Spec))
	}
	if opts.Templates != "" {
		roots = append(roots, opts.Templates)
	}
	outAbs, _ := filepath.Abs(opts.Out)
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if abs, _ := filepath.Abs(p); abs == outAbs || (d.Name() != "." && strings.HasPrefix(d.Name(), ".")) || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return w.Add(p)
		})
		if err != nil {
			return fmt.Errorf("watch %s: %w", root, err)
		}
	}
	once := func() {
		if err := generateRun(ctx, f, opts); err != nil {
			fmt.Fprintln(f.ErrOut, "obpm:", err)
		}
	}
	once()
	fmt.Fprintf(f.ErrOut, "watching %s for changes (Ctrl-C to stop)\n", strings.Join(roots, ", "))
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if !watched(ev.Name, outAbs) {
				continue
			}
			timer = time.After(200 * time.Millisecond) // editors save in several steps
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			fmt.Fprintln(f.ErrOut, "obpm: watch:", err)
		case <-timer:
			timer = nil
			once()
		}
	}
}

// watched: only spec and template files outside the output folder trigger a
// run (editors' swap files, logs and our own output do not).
func watched(name, outAbs string) bool {
	if abs, _ := filepath.Abs(name); abs == outAbs || strings.HasPrefix(abs, outAbs+string(filepath.Separator)) {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json", ".tmpl":
		return true
	}
	return false
}

// DiffOptions are the arguments of `obpm diff`.
type DiffOptions struct{ Old, New string }

func newCmdDiff(f *Factory, runF func(*DiffOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare the operations of two OpenAPI documents",
		Long: `List the operations added, removed or changed (parameters, body fields,
responses) between two OpenAPI documents. Exit status as diff: 0 same, 1 different,
2 trouble.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return flagErrorf("diff takes two files, OLD and NEW; got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := &DiffOptions{Old: args[0], New: args[1]}
			if runF != nil {
				return runF(opts)
			}
			return diffRun(cmd.Context(), f, opts)
		},
	}
}

func diffRun(ctx context.Context, f *Factory, opts *DiffOptions) error {
	oldDoc, oldWarn, err := generator.LoadFile(ctx, opts.Old, generator.LoadOptions{})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	newDoc, newWarn, err := generator.LoadFile(ctx, opts.New, generator.LoadOptions{})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	for _, w := range generator.Condense(append(oldWarn, newWarn...)) {
		fmt.Fprintf(f.ErrOut, "! %s\n", w)
	}
	changes := generator.Diff(oldDoc, newDoc)
	for _, c := range changes {
		fmt.Fprintln(f.Out, c)
	}
	if len(changes) > 0 {
		return &ExitError{Code: exitError}
	}
	return nil
}
