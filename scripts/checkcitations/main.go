// Command checkcitations checks that every kernel source location the model
// cites for a BUG or WARN lands on that check in a v3.16 source tree.
//
//	go run ./scripts/checkcitations [-root DIR] V316_TREE
//
// It parses every non-test Go file under the module root (default: the
// current directory) and finds:
//
//   - calls that pass a kernel source path and a line, such as
//     s.bug("mm/shmem.c", 116), s.vmBugOnPage(cond, pfn, "expr",
//     "mm/rmap.c", 896), warnOnOnce(..., "file", line) or
//     s.log.WarnOnf(cond, "file", line, format, ...): the path may be a
//     string constant of the package (srcPageAlloc);
//   - "file.c:NNN" in comments and string literals.
//
// A call's citation must land on a macro of its kind (BUG family, the
// VM_BUG_ON_PAGE that vmBugOnPage models, WARN_ON/WARN, or
// WARN_ON_ONCE/WARN_ONCE) whose __LINE__ is the cited line; vmBugOnPage's
// condition text must be the macro's first argument as __stringify prints
// it. A comment's or string's "file.c:NNN" must land on any such macro.
//
// __LINE__ of a macro invocation that spans lines is the line of its
// closing parenthesis with the GCC that built v3.16 (GCC changed that in
// GCC 9, bug 94535): the founding case's report, "fs/xfs/xfs_aops.c:971",
// is the second line of a WARN_ON_ONCE that starts on line 970.
//
// A kernel path literal the checker cannot classify (an unknown function
// taking a path and a line, a path whose line is not a constant, a path in
// a composite literal, ...) is reported too, so that new call forms are
// not missed silently. It prints one line per problem and exits 1 if there
// is any, 2 on bad usage. Cited files missing from the tree are listed on
// stderr as unchecked, and so are the calls a "model-only check" comment
// marks (on their line or the line above): BUGs the model reports where
// v3.16 has no check.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	root := flag.String("root", ".", "root of the Go module to check")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: checkcitations [-root DIR] V316_TREE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	res, err := Run(*root, flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkcitations:", err)
		os.Exit(2)
	}
	for _, p := range res.Problems {
		fmt.Println(p)
	}
	for _, m := range res.ModelOnly {
		fmt.Fprintln(os.Stderr, "model-only (no v3.16 check):", m)
	}
	for _, u := range res.Unchecked {
		fmt.Fprintln(os.Stderr, "unchecked:", u)
	}
	fmt.Fprintf(os.Stderr, "checkcitations: %d citations, %d problems, %d unchecked (file not in tree)\n",
		res.Checked, len(res.Problems), len(res.Unchecked))
	if len(res.Problems) > 0 {
		os.Exit(1)
	}
}
