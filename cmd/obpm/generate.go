package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder: replaced by the generator work (issue 4).
func newCmdGenerate(f *Factory, runF func() error) *cobra.Command {
	return &cobra.Command{Use: "generate", Short: "Generate a Postman collection and environments",
		RunE: func(*cobra.Command, []string) error { return errors.New("not implemented yet") }}
}

func newCmdDiff(f *Factory, runF func() error) *cobra.Command {
	return &cobra.Command{Use: "diff OLD NEW", Short: "Compare two OpenAPI documents",
		RunE: func(*cobra.Command, []string) error { return errors.New("not implemented yet") }}
}
