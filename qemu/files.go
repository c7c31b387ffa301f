package qemu

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// reservedNames are the entries of /sst that the harness itself writes.
var reservedNames = map[string]bool{".sst": true, scenarioName: true, moduleFile: true}

const (
	scenarioName = "scenario.sh"
	moduleFile   = "splitstack.ko"
)

// checkGuestName validates a Config.Files key: a relative, clean path that
// stays inside /sst and does not clash with the harness's own files.
func checkGuestName(name string) error {
	if name == "" || filepath.IsAbs(name) || filepath.Clean(name) != name ||
		name == "." || name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("file name %q: want a clean relative path under /sst", name)
	}
	if first, _, _ := strings.Cut(name, "/"); reservedNames[first] {
		return fmt.Errorf("file name %q: %q is reserved by the harness", name, first)
	}
	return nil
}

// copyPath copies src (a file, or a directory recursively) to dst. The top
// level src is followed if it is a symlink; symlinks inside a directory are
// copied as symlinks; other special files are skipped. Modes are kept.
func copyPath(dst, src string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return copyFile(dst, src, st.Mode())
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case p == src || d.IsDir():
			mode := info.Mode().Perm()
			if p == src {
				mode = st.Mode().Perm()
			}
			return os.MkdirAll(target, mode|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFile(target, p, info.Mode())
		}
		return nil
	})
}

func copyFile(dst, src string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// validEnvName reports whether k can be exported by a shell.
func validEnvName(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if c != '_' && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
