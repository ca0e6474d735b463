package e2e

import (
	"fmt"
	"os"
	"testing"
)

// env is shared by every test of the package.
var env = NewEnv()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := env.Close(code == 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
