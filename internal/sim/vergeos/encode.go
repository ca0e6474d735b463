package vergeos

import (
	"bufio"
	"strconv"
	"unicode/utf8"
)

// encoder streams billing rows as a JSON array, so an unlimited listing of
// a long history never sits in memory.
type encoder struct {
	w   *bufio.Writer
	n   int
	buf []byte
}

func (e *encoder) begin() { e.w.WriteByte('[') }

func (e *encoder) end() { e.w.WriteByte(']') }

// row writes one record with the chosen columns, as an array element.
func (e *encoder) row(r *record, fields []outField) {
	if e.n > 0 {
		e.w.WriteByte(',')
	}
	e.n++
	e.buf = appendRecord(e.buf[:0], r, fields)
	e.w.Write(e.buf)
}

// appendRecord appends r as a JSON object with the chosen columns. A
// record whose "sent" is absent leaves that key out.
func appendRecord(b []byte, r *record, fields []outField) []byte {
	b = append(b, '{')
	first := true
	for _, f := range fields {
		if f.id == fSent && r.sentAbsent {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.prefix...)
		if f.id == fDescription {
			b = appendJSONString(b, r.desc)
		} else {
			b = strconv.AppendInt(b, r.v[f.id], 10)
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
