// Package nlspec reads kmod/splitstack.yaml, the YNL spec of the
// "splitstack" generic netlink family (the layout of the kernel's
// Documentation/netlink/specs), and generates pkg/nl's wire numbers from
// it. Default returns the spec as built into the package
// (spec_gen.go, made by `go generate`), for tools that check the module's
// real replies against it (tests/guest/nlcheck).
package nlspec

//go:generate go run ./cmd/nlgen -spec ../../kmod/splitstack.yaml -embed spec_gen.go -consts ../../pkg/nl/uapi_gen.go

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is the part of the YNL schema this family uses.
type Spec struct {
	Name          string       `yaml:"name"`
	Protocol      string       `yaml:"protocol"`
	Doc           string       `yaml:"doc"`
	CFamilyName   string       `yaml:"c-family-name"`
	CVersionName  string       `yaml:"c-version-name"`
	Version       int          `yaml:"version"`
	Definitions   []Definition `yaml:"definitions"`
	AttributeSets []*AttrSet   `yaml:"attribute-sets"`
	Operations    struct {
		NamePrefix string `yaml:"name-prefix"`
		List       []*Op  `yaml:"list"`
	} `yaml:"operations"`
	McastGroups struct {
		List []struct {
			Name string `yaml:"name"`
		} `yaml:"list"`
	} `yaml:"mcast-groups"`
}

// Definition is a constant or an enum.
type Definition struct {
	Type       string   `yaml:"type"`
	Name       string   `yaml:"name"`
	Value      int      `yaml:"value"`
	NamePrefix string   `yaml:"name-prefix"`
	Entries    []string `yaml:"entries"`
}

// AttrSet is an attribute space.
type AttrSet struct {
	Name       string  `yaml:"name"`
	NamePrefix string  `yaml:"name-prefix"`
	Attributes []*Attr `yaml:"attributes"`
}

// Attr is one attribute; Value is assigned by Load when the spec leaves
// it out (one past the previous, as YNL numbers them).
type Attr struct {
	Name             string         `yaml:"name"`
	Type             string         `yaml:"type"`
	Value            *int           `yaml:"value"`
	NestedAttributes string         `yaml:"nested-attributes"`
	Enum             string         `yaml:"enum"`
	Checks           map[string]any `yaml:"checks"`
}

// Op is a command.
type Op struct {
	Name         string   `yaml:"name"`
	Doc          string   `yaml:"doc"`
	Value        *int     `yaml:"value"`
	AttributeSet string   `yaml:"attribute-set"`
	Flags        []string `yaml:"flags"`
	Do           *OpMode  `yaml:"do"`
	Dump         *OpMode  `yaml:"dump"`
	Event        *Attrs   `yaml:"event"`
	Mcgrp        string   `yaml:"mcgrp"`
}

// OpMode is the request and reply of a do or a dump.
type OpMode struct {
	Request *Attrs `yaml:"request"`
	Reply   *Attrs `yaml:"reply"`
}

// Attrs lists attributes of the op's set.
type Attrs struct {
	Attributes []string `yaml:"attributes"`
}

// Load parses a spec and numbers its attributes and operations.
func Load(b []byte) (*Spec, error) {
	var s Spec
	if err := yaml.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	for _, set := range s.AttributeSets {
		next := 1
		for _, a := range set.Attributes {
			if a.Value == nil {
				v := next
				a.Value = &v
			}
			next = *a.Value + 1
		}
	}
	next := 1
	for _, op := range s.Operations.List {
		if op.Value == nil {
			v := next
			op.Value = &v
		}
		next = *op.Value + 1
	}
	for _, set := range s.AttributeSets {
		for _, a := range set.Attributes {
			if a.Type == "nest" && s.Set(a.NestedAttributes) == nil {
				return nil, fmt.Errorf("spec: %s.%s nests unknown set %q", set.Name, a.Name, a.NestedAttributes)
			}
		}
	}
	for _, op := range s.Operations.List {
		if op.Name != "unspec" && s.Set(op.AttributeSet) == nil {
			return nil, fmt.Errorf("spec: op %s has unknown attribute set %q", op.Name, op.AttributeSet)
		}
	}
	return &s, nil
}

// Default is the spec built into the package; it panics if that does not
// parse (a test makes sure it does).
func Default() *Spec {
	s, err := Load([]byte(specYAML))
	if err != nil {
		panic(err)
	}
	return s
}

// Set returns the attribute set called name, or nil.
func (s *Spec) Set(name string) *AttrSet {
	for _, set := range s.AttributeSets {
		if set.Name == name {
			return set
		}
	}
	return nil
}

// Op returns the operation called name, or nil.
func (s *Spec) Op(name string) *Op {
	for _, op := range s.Operations.List {
		if op.Name == name {
			return op
		}
	}
	return nil
}

// Def returns the definition called name, or nil.
func (s *Spec) Def(name string) *Definition {
	for i := range s.Definitions {
		if s.Definitions[i].Name == name {
			return &s.Definitions[i]
		}
	}
	return nil
}

// ByValue returns the attribute of the set numbered v, or nil.
func (set *AttrSet) ByValue(v uint16) *Attr {
	for _, a := range set.Attributes {
		if *a.Value == int(v) {
			return a
		}
	}
	return nil
}

// CName is the C name of a spec name under prefix: "sst-a-" and
// "keepalive-ms" give SST_A_KEEPALIVE_MS.
func CName(prefix, name string) string {
	return strings.ToUpper(strings.ReplaceAll(prefix+name, "-", "_"))
}

// Size is the payload size of a fixed-size attribute type, 0 for the
// others (binary, string, nest, pad).
func Size(typ string) int {
	switch typ {
	case "u8", "s8":
		return 1
	case "u16", "s16":
		return 2
	case "u32", "s32":
		return 4
	case "u64", "s64":
		return 8
	}
	return 0
}
