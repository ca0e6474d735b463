package amie

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The answer to GET usage/failed is the upstream's whole list of failed
// records in one JSON object (API.md §4.2; the API has no paging), tens
// of megabytes for a large site. It is read as it arrives, one record at
// a time, and handed over in batches, so that neither the answer nor its
// records are ever held whole.
//
// What is read is what decoding the whole object with encoding/json
// would give: the list under ValidationFailedRecords, or under
// FailedRecords (amieclient's own as_dict writes that name) when the
// former is missing or null; keys match exactly or else ignoring case;
// other keys are skipped, whatever they hold. Two things differ because
// the list is handed over before the answer ends:
//
//   - a FailedRecords list comes before a ValidationFailedRecords one:
//     its batches are handed over, then taken back (restart) when the
//     other list begins; a problem in its records counts only if it
//     stays the answer's list;
//   - either key given twice is refused, rather than the later value
//     silently replacing records already handed over.

const (
	keyValidationFailed = "ValidationFailedRecords"
	keyFailed           = "FailedRecords"
)

// failedStream reads one answer to GET usage/failed.
type failedStream struct {
	dec  *json.Decoder
	size int
	// emit hands over a batch; restart takes back every batch handed over.
	emit    func([]FailedRecord) error
	restart func() error
	batch   []FailedRecord
	handed  bool // some batch of the current list was handed over
}

// decodeFailedStream reads the answer to GET usage/failed from r, handing
// its records to emit in order, at most size at a time, each batch a new
// slice. An error in the answer is a *decodeError naming where it is;
// errors of emit and restart are returned as they are. On any error, what
// was handed over is not the answer, and the caller drops it.
func decodeFailedStream(r io.Reader, size int, emit func([]FailedRecord) error, restart func() error) error {
	s := &failedStream{dec: json.NewDecoder(r), size: max(size, 1), emit: emit, restart: restart}
	return s.answer()
}

func (s *failedStream) answer() error {
	tok, err := s.dec.Token()
	if err != nil {
		return s.syntax(err, "")
	}
	if tok != json.Delim('{') {
		return errAt("", "not a JSON object")
	}
	var chosen string   // the list being handed over, by its key
	var chosenErr error // a problem in a FailedRecords list a later key may yet replace
	given := map[string]bool{}
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return s.syntax(err, "")
		}
		key, _ := tok.(string) // an object's keys are strings
		var name string
		switch {
		case strings.EqualFold(key, keyValidationFailed):
			name = keyValidationFailed
		case strings.EqualFold(key, keyFailed):
			name = keyFailed
		default:
			if err := s.skip(); err != nil {
				return s.syntax(err, strconv.Quote(key))
			}
			continue
		}
		if given[name] {
			return errAt(name, "given twice")
		}
		given[name] = true
		tok, err = s.dec.Token()
		switch {
		case err != nil:
			return s.syntax(err, name)
		case tok == nil: // null reads as a missing key
			continue
		case tok != json.Delim('['):
			return errAt(name, "not a JSON array")
		case name == keyFailed && chosen == keyValidationFailed:
			if err := s.skipElements(); err != nil {
				return s.syntax(err, name)
			}
			continue
		}
		// This list replaces any handed over before (FailedRecords, then
		// ValidationFailedRecords).
		if err := s.startOver(); err != nil {
			return err
		}
		chosen = name
		if chosenErr, err = s.list(name, name == keyFailed); err != nil {
			return err
		}
	}
	if _, err := s.dec.Token(); err != nil { // the closing brace
		return s.syntax(err, "")
	}
	if _, err := s.dec.Token(); err != io.EOF {
		if err == nil {
			return errAt("", "not valid JSON at byte %d: more follows the answer's object", s.dec.InputOffset())
		}
		return s.syntax(err, "")
	}
	if chosenErr != nil {
		return chosenErr
	}
	return s.flush()
}

// list reads the elements of the list under name, whose '[' is read,
// handing over its records. A problem in a record is returned as err,
// or, when tentative, as problem, after the rest of the list is read
// past (a later key may replace the list).
func (s *failedStream) list(name string, tentative bool) (problem, err error) {
	for i := 0; s.dec.More(); i++ {
		path := name + "[" + strconv.Itoa(i) + "]"
		if problem != nil {
			if err := s.skip(); err != nil {
				return nil, s.syntax(err, path)
			}
			continue
		}
		var w *failedWire
		if err := s.dec.Decode(&w); err != nil {
			return nil, s.syntax(err, path)
		}
		f, err := w.record("", path)
		if err != nil {
			if !tentative {
				return nil, err
			}
			problem = err
			continue
		}
		if s.batch == nil {
			s.batch = make([]FailedRecord, 0, s.size)
		}
		s.batch = append(s.batch, f)
		if len(s.batch) == s.size {
			if err := s.flush(); err != nil {
				return nil, err
			}
		}
	}
	if _, err := s.dec.Token(); err != nil { // the closing bracket
		return nil, s.syntax(err, name)
	}
	return problem, nil
}

// flush hands over the records read since the last batch.
func (s *failedStream) flush() error {
	if len(s.batch) == 0 {
		return nil
	}
	b := s.batch
	s.batch = nil
	s.handed = true
	return s.emit(b)
}

// startOver forgets the records of a list read before.
func (s *failedStream) startOver() error {
	s.batch = nil
	if !s.handed {
		return nil
	}
	s.handed = false
	return s.restart()
}

// skip reads past one value, token by token, so that an unknown key's
// value is not held whole either.
func (s *failedStream) skip() error {
	depth := 0
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// skipElements reads past the rest of an array whose '[' is read.
func (s *failedStream) skipElements() error {
	for s.dec.More() {
		if err := s.skip(); err != nil {
			return err
		}
	}
	_, err := s.dec.Token()
	return err
}

// syntax turns an error of the decoder into a decodeError saying where
// it is: the byte offset and the part of the answer (where, "" for the
// top level). An error that is not about the JSON (reading the body
// failed) is returned as it is.
func (s *failedStream) syntax(err error, where string) error {
	if where != "" {
		where = ", in " + where
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return errAt("", "not valid JSON at byte %d%s: the answer ends early", s.dec.InputOffset(), where)
	case errors.As(err, &syn):
		return errAt("", "not valid JSON at byte %d%s: %s", syn.Offset, where, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		return errAt("", "not valid JSON at byte %d%s: %s", typ.Offset, where, fmt.Sprintf("not %s", jsonKind(typ.Type)))
	}
	return err
}
