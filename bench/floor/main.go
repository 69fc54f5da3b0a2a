// Command floor parses a spec once and does nothing else: the floor the
// generator's time is measured against (bench/RESULTS.md, "Generator").
//
//	go run ./bench/floor [-json] FILE
//
// By default the file is parsed into a yaml.Node tree (go.yaml.in/yaml/v4,
// what the generator's YAML path starts with); -json decodes it with
// encoding/json into an any instead (the floor for a JSON file).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v4"
)

func main() {
	asJSON := flag.Bool("json", false, "decode with encoding/json into an any instead of a yaml.Node")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: floor [-json] FILE")
		os.Exit(2)
	}
	start := time.Now()
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *asJSON {
		var v any
		err = json.Unmarshal(data, &v)
	} else {
		var n yaml.Node
		err = yaml.Unmarshal(data, &n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s parsed in %.2f s\n", flag.Arg(0), time.Since(start).Seconds())
}
