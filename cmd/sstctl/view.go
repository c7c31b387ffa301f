package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// A view is what a command prints: records made of typed values, described
// once and printed either as text or as JSON. Every value is printed as
// text with its String method (or fmt's default format) and as JSON with
// encoding/json, so a value type decides both forms (see millis, keyState).
type view struct {
	// fields describes the columns; every row has one value per field.
	fields []field
	// rows holds the records.
	rows [][]any
	// single marks a view of exactly one record: JSON prints it as an
	// object rather than an array.
	single bool
	// layout is the text form.
	layout layout
	// columnHeader is the header of layoutColumn, {"NAME", "VALUE"} if
	// empty.
	columnHeader []string
	// comment, if set, returns a comment for a record that layoutLines
	// prints after it as "  # comment" (commands reading the lines back
	// ignore it).
	comment func(row []any) string
}

// A field is a column of a view.
type field struct {
	// name is the text label: a table header, or a keyword that the
	// matching command accepts as input ("port"). layoutLines leaves out
	// fields without a name: they are JSON only.
	name string
	// key is the lower_snake_case JSON object key.
	key string
}

// A layout is a text form of a view.
type layout int

const (
	// layoutTable prints a table with a header row and one row per record;
	// the header is printed even without records.
	layoutTable layout = iota
	// layoutLines prints one line per record in iproute2 style: the first
	// value alone, then "name value" for the other fields. The lines can be
	// pasted back as command arguments.
	layoutLines
	// layoutPairs prints the single record as one "name value" line per
	// field.
	layoutPairs
	// layoutColumn prints the single record as a two-column table with a
	// header: the field names, then their values.
	layoutColumn
)

// render prints v to w as JSON when asJSON is set, else as text.
func (v *view) render(w io.Writer, asJSON bool) error {
	if asJSON {
		return v.writeJSON(w)
	}
	return v.writeText(w)
}

// writeJSON prints v on one line, like "ip -j": a JSON array of objects, or
// one object when v.single is set. Object keys keep the field order.
func (v *view) writeJSON(w io.Writer) error {
	if v.single && len(v.rows) != 1 {
		return fmt.Errorf("internal error: single-record view with %d records", len(v.rows))
	}
	var b bytes.Buffer
	if !v.single {
		b.WriteByte('[')
	}
	for i, row := range v.rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, f := range v.fields {
			if j > 0 {
				b.WriteByte(',')
			}
			k, err := json.Marshal(f.key)
			if err != nil {
				return err
			}
			val, err := json.Marshal(row[j])
			if err != nil {
				return fmt.Errorf("encode %s: %w", f.key, err)
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteByte('}')
	}
	if !v.single {
		b.WriteByte(']')
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// writeText prints v in its text layout.
func (v *view) writeText(w io.Writer) error {
	var b strings.Builder
	switch v.layout {
	case layoutTable:
		header := make([]string, len(v.fields))
		for i, f := range v.fields {
			header[i] = f.name
		}
		rows := make([][]string, len(v.rows))
		for i, row := range v.rows {
			rows[i] = textRow(row)
		}
		if err := writeTable(&b, header, rows); err != nil {
			return err
		}
	case layoutLines:
		for _, row := range v.rows {
			for i, val := range row {
				if i > 0 && v.fields[i].name == "" {
					continue
				}
				if i > 0 {
					b.WriteString(" " + v.fields[i].name + " ")
				}
				b.WriteString(text(val))
			}
			if v.comment != nil {
				if c := v.comment(row); c != "" {
					b.WriteString("  # " + c)
				}
			}
			b.WriteByte('\n')
		}
	case layoutPairs:
		for _, row := range v.rows {
			for i, val := range row {
				b.WriteString(v.fields[i].name + " " + text(val) + "\n")
			}
		}
	case layoutColumn:
		var rows [][]string
		for _, row := range v.rows {
			for i, val := range row {
				rows = append(rows, []string{v.fields[i].name, text(val)})
			}
		}
		header := v.columnHeader
		if len(header) == 0 {
			header = []string{"NAME", "VALUE"}
		}
		if err := writeTable(&b, header, rows); err != nil {
			return err
		}
	default:
		return fmt.Errorf("internal error: unknown layout %d", v.layout)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable renders a borderless, left-aligned table in the style of ss(8)
// with tablewriter, without trailing blanks.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	var b bytes.Buffer
	t := tablewriter.NewTable(&b,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{ShowHeader: tw.Off, BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowTop: tw.Off, ShowBottom: tw.Off, ShowHeaderLine: tw.Off, ShowFooterLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithPadding(tw.Padding{Right: "  ", Overwrite: true}),
	)
	t.Header(header)
	for _, r := range rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for line := range strings.Lines(b.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// textRow formats the values of a row as text.
func textRow(row []any) []string {
	s := make([]string, len(row))
	for i, v := range row {
		s[i] = text(v)
	}
	return s
}

// text formats a value as text.
func text(v any) string {
	return fmt.Sprint(v)
}

// millis is a duration with millisecond precision: text like "250ms",
// "1.5s" or "2m3s" (accepted back by time.ParseDuration), JSON a number of
// milliseconds.
type millis time.Duration

// String formats m for people.
func (m millis) String() string {
	d := time.Duration(m).Round(time.Millisecond)
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d <= time.Minute:
		return strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', -1, 64) + "s"
	}
	return d.String()
}

// MarshalJSON encodes m as a number of milliseconds.
func (m millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Duration(m).Milliseconds(), 10), nil
}

// lastHeard is the time since a peer was last heard from, with millisecond
// precision, or never: text "250ms ago" or "never", JSON a number of
// milliseconds or null.
type lastHeard struct {
	heard bool
	ago   time.Duration
}

// String formats h for people.
func (h lastHeard) String() string {
	if !h.heard {
		return "never"
	}
	return millis(h.ago).String() + " ago"
}

// MarshalJSON encodes h as milliseconds or null.
func (h lastHeard) MarshalJSON() ([]byte, error) {
	if !h.heard {
		return []byte("null"), nil
	}
	return millis(h.ago).MarshalJSON()
}

// keyState tells whether an authentication key is set: text "set" or
// "unset", JSON a boolean.
type keyState bool

// String returns "set" or "unset".
func (k keyState) String() string {
	if k {
		return "set"
	}
	return "unset"
}

// MarshalJSON encodes k as a boolean.
func (k keyState) MarshalJSON() ([]byte, error) {
	return json.Marshal(bool(k))
}
