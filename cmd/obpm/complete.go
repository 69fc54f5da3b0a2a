package main

import (
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/generator"
)

// addCompletions teaches shell completion (`obpm completion bash|zsh|fish`)
// the values of flags and arguments: profile names from the config, token
// kinds, folder modes and environment names.
func addCompletions(root *cobra.Command, f *Factory) {
	profiles := func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return profileNames(f), cobra.ShellCompDirectiveNoFileComp
	}
	fixed := func(vals ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(vals, cobra.ShellCompDirectiveNoFileComp)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range map[string]cobra.CompletionFunc{
			"profile": profiles,
			"kind":    fixed(string(tokenstore.User), string(tokenstore.Institution)),
			"folders": fixed(string(generator.FoldersByTag), string(generator.FoldersByPath)),
			"env":     envNames(c),
		} {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		if c.CommandPath() == "obpm profile remove" {
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return profiles(cmd, args, s)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// profileNames lists the config's profiles ("" on any error: completion
// must never print one).
func profileNames(f *Factory) []string {
	path, err := config.Path(f.Getenv)
	if err != nil {
		return nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil
	}
	return cfg.Names()
}

// envNames completes `generate --env`: the embedded document's environments
// and those already generated in the --out folder.
func envNames(c *cobra.Command) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		names := []string{"sandbox"}
		spec, _ := cmd.Flags().GetString("spec")
		if spec == "" {
			names = append(names, "testbed", "production") // the embedded document's servers (x-obpm-env)
		}
		out, _ := cmd.Flags().GetString("out")
		if out == "" {
			out = "postman"
		}
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			base, ok := strings.CutSuffix(e.Name(), envSuffix)
			if !ok {
				continue
			}
			if i := strings.LastIndex(base, "."); i >= 0 {
				base = base[i+1:]
			}
			if !slices.Contains(names, base) {
				names = append(names, base)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
