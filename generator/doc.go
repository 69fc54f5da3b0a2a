// Package generator turns an OpenAPI 3.0/3.1 document into a Postman Collection
// v2.1 and one Postman environment per server (plus the local sandbox).
//
// [Generate] is a pure function: the same document and [Options] give
// byte-identical files, with no package state. [Load] reads a document from disk
// with relative-file $refs and turns parser failures into errors that name the
// file, the line and the fix.
//
// The vendor extensions it honours (x-obpm-generate, x-obpm-variable,
// x-obpm-capture, x-obpm-token-kind, x-obpm-env, x-obpm-split-examples,
// x-obpm-run) are specified in docs/design.md.
package generator
