package weft_test

// The README's Go snippets are what users copy first, so they must compile
// against the API as it is. This test builds each one in a scratch module that
// points at this checkout.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// snippetPrelude declares the names the README's fragments use without
// defining them, as a reader would have them in their own program.
const snippetPrelude = `package snippets

import "context"

var urls []string

func fetchSize(ctx context.Context, url string) (int, error) { return len(url), ctx.Err() }
`

// snippetImports maps a package name used in a fragment to its import path.
var snippetImports = map[string]string{
	"context":   "context",
	"errors":    "errors",
	"fmt":       "fmt",
	"http":      "net/http",
	"iter":      "iter",
	"log":       "log",
	"os":        "os",
	"slices":    "slices",
	"strings":   "strings",
	"sync":      "sync",
	"time":      "time",
	"expvarobs": "github.com/weftgo/weft/observe/expvarobs",
	"future":    "github.com/weftgo/weft/future",
	"observe":   "github.com/weftgo/weft/observe",
	"pipeline":  "github.com/weftgo/weft/pipeline",
	"pool":      "github.com/weftgo/weft/pool",
	"queue":     "github.com/weftgo/weft/pipeline/queue",
	"semaphore": "github.com/weftgo/weft/semaphore",
}

var (
	goFence = regexp.MustCompile("(?s)```go\n(.*?)```")
	// A snippet that starts "// With <module path>…" shows how to use weft
	// with a module weft does not depend on: it cannot be built here.
	foreign  = regexp.MustCompile(`^// With [a-z0-9.-]+\.[a-z]+/`)
	selector = regexp.MustCompile(`\b([a-z]+)\.[A-Za-z_]`)
)

// readmeSnippets returns the Go code blocks of README.md.
func readmeSnippets(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var out []string
	for _, m := range goFence.FindAllStringSubmatch(string(readme), -1) {
		if !foreign.MatchString(m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// snippetFile turns a fragment into a file: the fragment becomes the body of
// a function that has a ctx, and the packages it names are imported.
func snippetFile(i int, body string) string {
	if strings.HasPrefix(body, "package ") {
		return body
	}
	var imports []string
	for _, m := range selector.FindAllStringSubmatch(body, -1) {
		if path, ok := snippetImports[m[1]]; ok && !slices.Contains(imports, path) {
			imports = append(imports, path)
		}
	}
	if !slices.Contains(imports, "context") {
		imports = append(imports, "context")
	}
	var b strings.Builder
	b.WriteString("package snippets\n\nimport (\n")
	for _, path := range imports {
		fmt.Fprintf(&b, "\t%q\n", path)
	}
	fmt.Fprintf(&b, ")\n\nfunc snippet%d(ctx context.Context) error {\n\t_ = ctx\n%s\treturn nil\n}\n", i, body)
	return b.String()
}

func TestReadmeSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module")
	}
	snippets := readmeSnippets(t)
	require.NotEmpty(t, snippets, "README.md has no Go snippets")

	root, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("go.mod", "module snippets\n\ngo 1.26\n\nrequire github.com/weftgo/weft v0.0.0\n\nreplace github.com/weftgo/weft => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	write("go.sum", string(sum))
	write("prelude.go", snippetPrelude)
	for i, s := range snippets {
		write(fmt.Sprintf("snippet%d.go", i), snippetFile(i, s))
	}

	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "a README snippet does not compile:\n%s", out)
}
