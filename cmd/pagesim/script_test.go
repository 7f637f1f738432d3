// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The command as a user runs it: testscript runs the scripts in
// testdata/script, each a txtar archive of shell-like commands (with
// their expected output and exit status) and the files they use, against
// this package's main built into the test binary as "pagesim".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pagesim": func() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
