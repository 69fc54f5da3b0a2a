package yamlfast

// Tag resolution of plain scalars, mirrored from go.yaml.in/yaml/v4 v4.0.0
// internal/libyaml/resolver.go (resolve with an empty tag, parseTimestamp);
// Copyright 2011-2019 Canonical Ltd, 2025 The go-yaml Project Contributors,
// Apache-2.0. Keep in step with that file when yaml.v4 is upgraded: the
// oracle tests compare every tag with yaml.v4's.

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var resolveMap = map[string]string{
	"true": "!!bool", "True": "!!bool", "TRUE": "!!bool",
	"false": "!!bool", "False": "!!bool", "FALSE": "!!bool",
	"": "!!null", "~": "!!null", "null": "!!null", "Null": "!!null", "NULL": "!!null",
	".nan": "!!float", ".NaN": "!!float", ".NAN": "!!float",
	".inf": "!!float", ".Inf": "!!float", ".INF": "!!float",
	"+.inf": "!!float", "+.Inf": "!!float", "+.INF": "!!float",
	"-.inf": "!!float", "-.Inf": "!!float", "-.INF": "!!float",
	"-0": "!!float", "-0.0": "!!float",
	"<<": "!!merge",
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$`)

var allowedTimestampFormats = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// hint classifies a scalar's first byte as resolveTable does.
func hint(c byte) byte {
	switch {
	case c == '+' || c == '-':
		return 'S'
	case c >= '0' && c <= '9':
		return 'D'
	case strings.IndexByte("yYnNtTfFoO~<", c) >= 0:
		return 'M'
	case c == '.':
		return '.'
	}
	return 0
}

// resolveTag is the tag yaml.v4 gives the plain scalar in.
func resolveTag(in string) string {
	h := byte('N')
	if in != "" {
		h = hint(in[0])
	}
	if h == 0 {
		return "!!str"
	}
	if t, ok := resolveMap[in]; ok {
		return t
	}
	switch h {
	case '.':
		if _, err := strconv.ParseFloat(in, 64); err == nil {
			return "!!float"
		}
	case 'D', 'S':
		if isTimestamp(in) {
			return "!!timestamp"
		}
		plain := strings.ReplaceAll(in, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return "!!int"
		}
		if _, err := strconv.ParseUint(strings.TrimPrefix(plain, "+"), 0, 64); err == nil {
			return "!!int"
		}
		if yamlStyleFloat.MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return "!!float"
			}
		}
	}
	return "!!str"
}

func isTimestamp(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range allowedTimestampFormats {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}
