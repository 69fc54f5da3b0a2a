package main

import (
	"context"
	"fmt"
	"os"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/spf13/cobra"

	"github.com/obpm/obpm/drift"
	"github.com/obpm/obpm/generator"
	"github.com/obpm/obpm/specs"
)

// DriftOptions are the arguments of `obpm drift`.
type DriftOptions struct {
	Report string
	Spec   string // "" = the embedded Open Banking document
	JSON   bool
}

func newCmdDrift(f *Factory, runF func(*DriftOptions) error) *cobra.Command {
	opts := &DriftOptions{}
	cmd := &cobra.Command{
		Use:   "drift NEWMAN-REPORT.json",
		Short: "Report where a run's real responses differ from the OpenAPI description",
		Long: `Read the JSON report of a run of a generated collection (newman run -r json
--reporter-json-export FILE, or the Postman CLI with --reporter-json-structure newman)
and list, per operation, where the real responses differ from the description:
missing required fields, fields the description lacks, type and format
mismatches, enum values and rsp_codes it does not list, undescribed HTTP statuses.
Markdown by default, --json for tools. Exit status: 0 no drift, 1 drift, 2 trouble.`,
		Example: `  newman run postman/openbanking.postman_collection.json -e postman/openbanking.testbed.postman_environment.json \
      -r cli,json --reporter-json-export run.json
  obpm drift run.json > drift.md
  obpm drift run.json --spec api.yaml --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return flagErrorf("drift takes one Newman JSON report; got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Report = args[0]
			if runF != nil {
				return runF(opts)
			}
			return driftRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Spec, "spec", "", "the OpenAPI document the collection was generated from (default: the embedded Open Banking document)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

func driftRun(ctx context.Context, f *Factory, opts *DriftOptions) error {
	data, err := os.ReadFile(opts.Report)
	if err != nil {
		return &ExitError{Code: exitUsage, Err: err}
	}
	execs, err := drift.ParseNewman(data)
	if err != nil {
		return &ExitError{Code: exitUsage, Err: fmt.Errorf("%s: %w", opts.Report, err)}
	}
	var doc *openapi3.T
	if opts.Spec == "" {
		doc, err = specs.LoadOpenBanking(ctx)
	} else {
		doc, err = generator.Load(ctx, opts.Spec)
	}
	if err != nil {
		return &ExitError{Code: exitUsage, Err: err}
	}
	rep := drift.Check(doc, execs)
	if opts.JSON {
		out, err := rep.JSON()
		if err != nil {
			return err
		}
		_, _ = f.Out.Write(out)
	} else {
		_, _ = f.Out.Write(rep.Markdown(opts.Report))
	}
	if rep.HasDrift() {
		return &ExitError{Code: exitError}
	}
	return nil
}
