// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"pagesim/prog"
)

// workdir is a campaign's directory:
//
//	corpus/<hash>.prog        programs that reached new coverage
//	crashes/<title>/title     the crash's title, exactly
//	crashes/<title>/report    the kernel log of the run that found it
//	crashes/<title>/prog.prog the program that found it
//	crashes/<title>/repro.prog its minimized reproducer
//
// Every file is written to a temporary name and renamed into place, so a
// campaign killed at any moment leaves only whole files (and perhaps a
// stray temporary, removed when the workdir is opened again).
type workdir struct {
	dir string
	mu  sync.Mutex
	err error // the first write error
}

func openWorkdir(dir string) (*workdir, error) {
	for _, sub := range []string{"corpus", "crashes"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	w := &workdir{dir: dir}
	// Temporaries of a killed campaign.
	tmps, _ := filepath.Glob(filepath.Join(dir, "*", ".tmp-*"))
	more, _ := filepath.Glob(filepath.Join(dir, "crashes", "*", ".tmp-*"))
	for _, t := range append(tmps, more...) {
		os.Remove(t)
	}
	return w, nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

func (w *workdir) fail(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// Err is the first error a write met.
func (w *workdir) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *workdir) saveCorpus(p *prog.Program) {
	text := p.String()
	sum := sha1.Sum([]byte(text))
	w.fail(writeAtomic(filepath.Join(w.dir, "corpus", hex.EncodeToString(sum[:8])+".prog"), []byte(text)))
}

// loadCorpus parses the saved corpus, in name order. A file that does not
// parse (edited by hand, or from another pagesim version) is skipped.
func (w *workdir) loadCorpus() ([]*prog.Program, error) {
	names, err := filepath.Glob(filepath.Join(w.dir, "corpus", "*.prog"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*prog.Program
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if p, err := prog.Parse(name, src); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// crashTitles lists the titles of the saved crashes.
func (w *workdir) crashTitles() []string {
	names, _ := filepath.Glob(filepath.Join(w.dir, "crashes", "*", "title"))
	var out []string
	for _, name := range names {
		if b, err := os.ReadFile(name); err == nil {
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	sort.Strings(out)
	return out
}

// saveCrash writes a crash's files and returns its directory. The title
// file goes last: a crash directory without one was cut short, and its
// title is found again.
func (w *workdir) saveCrash(title, report string, p, repro *prog.Program) string {
	base := filepath.Join(w.dir, "crashes", crashDirName(title))
	dir := base
	for i := 1; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "title"))
		if os.IsNotExist(err) || (err == nil && strings.TrimSpace(string(b)) == title) {
			break
		}
		dir = fmt.Sprintf("%s.%d", base, i) // another title with the same name
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		w.fail(err)
		return dir
	}
	w.fail(writeAtomic(filepath.Join(dir, "report"), []byte(report)))
	w.fail(writeAtomic(filepath.Join(dir, "prog.prog"), []byte("# "+title+"\n# found by pagesim fuzz\n"+p.String())))
	w.fail(writeAtomic(filepath.Join(dir, "repro.prog"), []byte("# "+title+"\n# reproducer: pagesim run repro.prog\n"+repro.String())))
	w.fail(writeAtomic(filepath.Join(dir, "title"), []byte(title+"\n")))
	return dir
}

// crashDirName is a title made safe for a directory name: what is not a
// letter, digit, dot, dash or underscore becomes an underscore.
func crashDirName(title string) string {
	var b strings.Builder
	for _, r := range title {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 120 {
		name = name[:120]
	}
	if name == "" || name[0] == '.' {
		name = "_" + name
	}
	return name
}
