// Command nlgen writes, from the YNL spec of the splitstack family, the
// spec's text as Go (internal/nlspec/spec_gen.go) and pkg/nl's wire
// numbers (pkg/nl/uapi_gen.go). Run by `go generate ./internal/nlspec`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/split-stack/splitstack/internal/nlspec"
)

func main() {
	spec := flag.String("spec", "../../kmod/splitstack.yaml", "the YNL spec")
	embed := flag.String("embed", "spec_gen.go", "where to write the spec as Go")
	consts := flag.String("consts", "../../pkg/nl/uapi_gen.go", "where to write pkg/nl's constants")
	flag.Parse()
	if err := run(*spec, *embed, *consts); err != nil {
		fmt.Fprintf(os.Stderr, "nlgen: %v\n", err)
		os.Exit(1)
	}
}

func run(specPath, embedPath, constsPath string) error {
	text, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	s, err := nlspec.Load(text)
	if err != nil {
		return err
	}
	emb, err := nlspec.GoEmbed(text)
	if err != nil {
		return err
	}
	consts, err := nlspec.GoConsts(s)
	if err != nil {
		return err
	}
	if err := os.WriteFile(embedPath, emb, 0o644); err != nil {
		return err
	}
	return os.WriteFile(constsPath, consts, 0o644)
}
