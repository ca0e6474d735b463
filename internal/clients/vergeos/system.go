package vergeos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/accounting-portal/portal/internal/portal"
)

// SystemInfo is the answer to the connection check pyvergeos runs first.
type SystemInfo struct {
	Key       Key
	YBVersion string // e.g. "4.12.0"
	OSVersion string // e.g. "26.0"
	CloudName string
}

// System checks the address and credentials the way pyvergeos connects:
// GET /api/v4/system?fields=$key,yb_version,os_version,cloud_name. The
// answer may be an object or a one-element list.
func (c *Client) System(ctx context.Context) (SystemInfo, error) {
	body, err := c.get(ctx, "/api/v4/system", url.Values{"fields": {"$key,yb_version,os_version,cloud_name"}})
	if err != nil {
		return SystemInfo{}, err
	}
	info, err := DecodeSystem(body)
	if err != nil {
		return SystemInfo{}, malformed("/system", err)
	}
	return info, nil
}

// DecodeSystem decodes the system check answer: an object or a list whose
// first element is the object.
func DecodeSystem(body []byte) (SystemInfo, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil {
			return SystemInfo{}, fmt.Errorf("not valid JSON: %w", err)
		}
		if len(list) == 0 {
			return SystemInfo{}, errors.New("an empty list: no system row")
		}
		body = list[0]
	}
	if len(body) == 0 || body[0] != '{' {
		return SystemInfo{}, fmt.Errorf("expected the system object, got %s", kindOf(body))
	}
	var w struct {
		Key       Key        `json:"$key"`
		YBVersion flexString `json:"yb_version"`
		OSVersion flexString `json:"os_version"`
		CloudName flexString `json:"cloud_name"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return SystemInfo{}, fmt.Errorf("system object: %w", err)
	}
	return SystemInfo{Key: w.Key, YBVersion: string(w.YBVersion), OSVersion: string(w.OSVersion), CloudName: string(w.CloudName)}, nil
}

// Version reads GET /version.json, the check govergeos makes (it refuses
// a VergeOS major below 26), and returns the "version" text.
func (c *Client) Version(ctx context.Context) (string, error) {
	body, err := c.get(ctx, "/version.json", nil)
	if err != nil {
		return "", err
	}
	var v struct {
		Version flexString `json:"version"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &v); err != nil || v.Version == "" {
		return "", portal.Errorf(portal.EUNAVAILABLE, "%s: /version.json: expected {\"version\": ...}, got %s", upstreamName, kindOf(body))
	}
	return string(v.Version), nil
}

// DecodeGenerate decodes the create reply of a POST ({"location",
// "dbpath", "$row", "$key"}); an empty body gives a zero result.
func DecodeGenerate(body []byte) (GenerateResult, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return GenerateResult{}, nil
	}
	if body[0] != '{' {
		return GenerateResult{}, fmt.Errorf("expected the create reply object, got %s", kindOf(body))
	}
	var w struct {
		Key      Key        `json:"$key"`
		Location flexString `json:"location"`
		DBPath   flexString `json:"dbpath"`
		Row      flexInt    `json:"$row"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return GenerateResult{}, fmt.Errorf("create reply: %w", err)
	}
	return GenerateResult{Key: w.Key, Location: string(w.Location), DBPath: string(w.DBPath), Row: int64(w.Row), Raw: append(json.RawMessage(nil), body...)}, nil
}
