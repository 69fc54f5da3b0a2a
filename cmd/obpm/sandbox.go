package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder: replaced by the sandbox work (issue 5).
func newCmdSandbox(f *Factory, runF func() error) *cobra.Command {
	return &cobra.Command{Use: "sandbox", Short: "Run a local Open Banking testbed",
		RunE: func(*cobra.Command, []string) error { return errors.New("not implemented yet") }}
}
