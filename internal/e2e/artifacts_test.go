package e2e

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestArtifacts_ScreenshotOfThePage checks what a failed browser test
// leaves behind: a PNG of the page and its source.
func TestArtifacts_ScreenshotOfThePage(t *testing.T) {
	b := env.Browser(t)
	b.Open("/healthz")
	dir := t.TempDir()
	paths, err := b.SaveArtifacts(dir, "Test/with spaces")
	if err != nil || len(paths) != 2 {
		t.Fatalf("artifacts %q: %v", paths, err)
	}
	png, err := os.ReadFile(paths[0])
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 100 {
		t.Fatalf("%s is not a PNG (%d bytes, %v)", paths[0], len(png), err)
	}
	html, err := os.ReadFile(paths[1])
	if err != nil || !strings.Contains(string(html), "ok") {
		t.Fatalf("%s: %q %v", paths[1], html, err)
	}
	if !strings.HasPrefix(paths[0], dir+"/Test_with_spaces") {
		t.Errorf("artifact name %s", paths[0])
	}
}
