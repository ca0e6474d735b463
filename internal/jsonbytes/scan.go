// Package jsonbytes reads and writes JSON as bytes, for the hot paths of
// the AMIE client and simulator (large status answers, 768 KiB usage
// bodies). It walks JSON that encoding/json has already validated,
// without decoding it into maps: objects member by member and arrays
// element by element, with keys matched exactly (encoding/json matches
// struct fields case-insensitively, which a strict reader must not). It
// exists because large AMIE status answers and usage bodies were several
// times slower to read through map[string]json.RawMessage at every level.
//
// Every function assumes valid JSON (check with json.Valid first); on
// invalid input they do not panic but the result is meaningless.
package jsonbytes

import (
	"bytes"
	"encoding/json"
)

// SkipWS returns the index of the first non-space byte at or after i.
func SkipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"':
// the first quote not escaped by an odd run of backslashes.
func skipString(b []byte, i int) int {
	for i++; i < len(b); {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			break
		}
		q, n := i+j, 0
		for k := q - 1; k >= i && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
	return len(b)
}

// SkipValue returns the index after the value starting at b[i].
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}

// EachMember calls fn with the unquoted key and the raw value of every
// member of the object obj, in order. The key is only valid during the call.
func EachMember(obj []byte, fn func(key, val []byte)) {
	i := SkipWS(obj, 0) + 1
	for i < len(obj) {
		if i = SkipWS(obj, i); i >= len(obj) || obj[i] == '}' {
			return
		}
		if obj[i] == ',' {
			i = SkipWS(obj, i+1)
		}
		kEnd := skipString(obj, i)
		key := obj[i:kEnd]
		i = SkipWS(obj, SkipWS(obj, kEnd)+1)
		vEnd := SkipValue(obj, i)
		fn(unquoteBytes(key), obj[i:vEnd])
		i = vEnd
	}
}

// EachElement calls fn with the index and raw value of every element of
// the array arr, in order.
func EachElement(arr []byte, fn func(i int, val []byte)) {
	i := SkipWS(arr, 0) + 1
	for k := 0; i < len(arr); k++ {
		if i = SkipWS(arr, i); i >= len(arr) || arr[i] == ']' {
			return
		}
		if arr[i] == ',' {
			i = SkipWS(arr, i+1)
		}
		end := SkipValue(arr, i)
		fn(k, arr[i:end])
		i = end
	}
}

// Unquote returns the text of a JSON string value.
func Unquote(v []byte) string { return string(unquoteBytes(v)) }

func unquoteBytes(v []byte) []byte {
	if len(v) < 2 {
		return nil
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1]
	}
	var s string
	json.Unmarshal(v, &s)
	return []byte(s)
}
