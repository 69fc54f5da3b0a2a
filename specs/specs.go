// Package specs embeds the OpenAPI documents obpm generates from, simulates
// and validates against.
package specs

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"

	"github.com/getkin/kin-openapi/openapi3"
)

// OpenBankingFile is the name of the embedded Open Banking document, used as
// its location so that errors and origins name the file.
const OpenBankingFile = "kftc-openbanking.yaml"

// OpenBanking is the KFTC Open Banking API v2.0 as an OpenAPI 3.0.3 document
// (YAML). Callers must not modify it; LoadOpenBanking parses a fresh copy.
//
//go:embed kftc-openbanking.yaml
var OpenBanking []byte

// LoadOpenBanking parses and validates the embedded Open Banking document.
// Every call returns a new document, so callers may change it freely.
// Origins are recorded (IncludeOrigin) so that operations carry their line
// numbers: the generator orders requests by them (docs/design.md).
func LoadOpenBanking(ctx context.Context) (*openapi3.T, error) {
	return Load(ctx, OpenBankingFile, OpenBanking)
}

// Load parses and validates an OpenAPI document held in memory. name is
// recorded as the document's location and appears in errors.
func Load(ctx context.Context, name string, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IncludeOrigin = true
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: name})
	if err != nil {
		return nil, fmt.Errorf("load spec %s: %w", name, err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validate spec %s: %w (fix the element named above)", name, err)
	}
	return doc, nil
}
