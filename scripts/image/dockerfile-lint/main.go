// Command dockerfile-lint checks a Dockerfile with BuildKit's own Dockerfile linter: the rules that
// `docker build --check` runs (github.com/moby/buildkit/frontend/dockerfile/linter), driven through the
// same entry point the Dockerfile frontend uses for a check (dockerfile2llb.DockerfileLint), without a
// BuildKit daemon, a container engine or a registry.
//
// Two things a real `docker build --check` has that this tool has not:
//
//   - The base images' configurations. BuildKit reads each FROM image's config from its registry; here
//     an offline resolver answers with an image config that has a layer, the target platform and only
//     PATH in its environment. So InvalidBaseImagePlatform never fires, and UndefinedVar reports a
//     variable the Dockerfile reads from a base image's ENV (other than PATH) as undefined: loudly
//     wrong, never silently right.
//   - The build context. The frontend loads .dockerignore through a BuildKit session for the
//     CopyIgnoredFile rule; this tool reads <context>/.dockerignore itself with the same reader
//     (github.com/moby/patternmatcher/ignorefile) and applies that rule's own test (a COPY or ADD source
//     from the context that .dockerignore excludes, skipped when .dockerignore has ! exceptions), as
//     BuildKit's validateCopySourcePath does.
//
// Subcommands:
//
//	dockerfile-lint lint [--json] [--context DIR] Dockerfile   exit 1 on any finding, 2 on a usage error
//	dockerfile-lint inspect Dockerfile                         the parsed stages and instructions as JSON
//	dockerfile-lint context DIR                                the build context's files after .dockerignore
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	status := 0
	switch os.Args[1] {
	case "lint":
		status, err = runLint(os.Args[2:])
	case "inspect":
		err = runInspect(os.Args[2:])
	case "context":
		err = runContext(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(2)
	}
	os.Exit(status)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dockerfile-lint lint [--json] [--context DIR] Dockerfile | inspect Dockerfile | context DIR")
	os.Exit(2)
}

// offlineResolver stands in for the registry: every base image is a non-empty linux image of the
// requested platform whose environment is PATH only.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	osName, arch, variant := "linux", "amd64", ""
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		osName, arch, variant = opt.ImageOpt.Platform.OS, opt.ImageOpt.Platform.Architecture, opt.ImageOpt.Platform.Variant
	}
	config := map[string]any{
		"os":           osName,
		"architecture": arch,
		"variant":      variant,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{digest.FromString(ref).String()}},
		"config":       map[string]any{"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
	}
	dt, err := json.Marshal(config)
	return ref, "", dt, err
}

func runLint(args []string) (int, error) {
	flags := flag.NewFlagSet("lint", flag.ContinueOnError)
	asJSON := flags.Bool("json", false, "print BuildKit's lint result as JSON")
	contextDir := flags.String("context", "", "the build context whose .dockerignore CopyIgnoredFile reads (default: the Dockerfile's directory)")
	if err := flags.Parse(args); err != nil {
		return 2, err
	}
	if flags.NArg() != 1 {
		return 2, errors.New("lint takes one Dockerfile")
	}
	file := flags.Arg(0)
	dt, err := os.ReadFile(file)
	if err != nil {
		return 2, err
	}
	if *contextDir == "" {
		*contextDir = filepath.Dir(file)
	}
	ctx := context.Background()

	source := llb.Local("dockerfile")
	def, err := source.Marshal(ctx)
	if err != nil {
		return 2, err
	}
	sourceMap := llb.NewSourceMap(&source, filepath.Base(file), "Dockerfile", dt)
	sourceMap.Definition = def

	results, err := dockerfile2llb.DockerfileLint(ctx, dt, dockerfile2llb.ConvertOpt{
		SourceMap:    sourceMap,
		MetaResolver: offlineResolver{},
	})
	if err != nil {
		return 2, err
	}
	if results.Error == nil {
		if err := checkCopyIgnoredFile(dt, *contextDir, results, sourceMap); err != nil {
			return 2, err
		}
	}

	if *asJSON {
		out, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return 2, err
		}
		fmt.Println(string(out))
	} else {
		if err := results.PrintTo(os.Stdout, nil); err != nil {
			return 2, err
		}
		if results.Error != nil {
			fmt.Println()
			fmt.Print("ERROR: ")
			results.PrintErrorTo(os.Stdout, nil)
		}
		if len(results.Warnings) == 0 && results.Error == nil {
			fmt.Printf("%s: no findings (BuildKit's Dockerfile checks)\n", file)
		} else {
			names := make([]string, 0, len(results.Warnings))
			for _, w := range results.Warnings {
				names = append(names, w.RuleName)
			}
			sort.Strings(names)
			fmt.Printf("\n%s: %d finding(s): %s", file, len(results.Warnings), strings.Join(names, ", "))
			if results.Error != nil {
				fmt.Print(" and an error")
			}
			fmt.Println()
		}
	}
	if len(results.Warnings) > 0 || results.Error != nil {
		return 1, nil
	}
	return 0, nil
}

// checkCopyIgnoredFile is BuildKit's CopyIgnoredFile rule (validateCopySourcePath) with .dockerignore
// read from the context directory rather than through a BuildKit session.
func checkCopyIgnoredFile(dt []byte, contextDir string, results *lint.LintResults, sourceMap *llb.SourceMap) error {
	patterns, err := readDockerignore(contextDir)
	if err != nil || len(patterns) == 0 {
		return err
	}
	matcher, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	if matcher.Exclusions() {
		return nil // BuildKit skips the rule too: a ! exception may bring back a file of an excluded directory
	}
	lintConfig, err := lintOptions(dt)
	if err != nil {
		return err
	}
	sourceIndex := results.AddSource(sourceMap)
	lintConfig.Warn = func(rulename, description, url, fmtmsg string, location []parser.Range) {
		results.AddWarning(rulename, description, url, fmtmsg, sourceIndex, location)
	}
	ruleLinter := linter.New(lintConfig)
	stages, _, _, err := parseStages(dt)
	if err != nil {
		return err
	}
	for _, stage := range stages {
		stageLinter := ruleLinter.WithMergedConfigFromComments(stage.Comments)
		for _, cmd := range stage.Commands {
			var sources []string
			verb := ""
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				if c.From != "" {
					continue
				}
				sources, verb = c.SourcePaths, "Copy"
			case *instructions.AddCommand:
				sources, verb = c.SourcePaths, "Add"
			default:
				continue
			}
			for _, src := range sources {
				if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "git@") {
					continue
				}
				clean := filepath.ToSlash(filepath.Clean(src))
				if clean == "." || clean == "/" {
					continue
				}
				ignored, err := matcher.MatchesOrParentMatches(strings.TrimPrefix(clean, "/"))
				if err != nil {
					return err
				}
				if ignored {
					stageLinter.Run(&linter.RuleCopyIgnoredFile, cmd.Location(), linter.RuleCopyIgnoredFile.Format(verb, src))
				}
			}
		}
	}
	return nil
}

func lintOptions(dt []byte) (*linter.Config, error) {
	options, _, _, _ := parser.ParseDirective("check", dt)
	return linter.ParseLintOptions(options)
}

func readDockerignore(contextDir string) ([]string, error) {
	f, err := os.Open(filepath.Join(contextDir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ignorefile.ReadAll(f)
}

func parseStages(dt []byte) ([]instructions.Stage, []instructions.ArgCommand, rune, error) {
	result, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, nil, 0, err
	}
	stages, metaArgs, err := instructions.Parse(result.AST, nil)
	return stages, metaArgs, result.EscapeToken, err
}

// The inspect output: what the tests need to emulate the image without a container engine.
type inspected struct {
	Args   []inspectedArg   `json:"args"`
	Stages []inspectedStage `json:"stages"`
}

type inspectedArg struct {
	Name    string  `json:"name"`
	Default *string `json:"default"`
}

type inspectedStage struct {
	Name         string                 `json:"name"`
	Base         string                 `json:"base"`
	BaseExpanded string                 `json:"baseExpanded"`
	Line         int                    `json:"line"`
	Instructions []inspectedInstruction `json:"instructions"`
}

type inspectedInstruction struct {
	Instruction string `json:"instruction"`
	Line        int    `json:"line"`
	Source      string `json:"source"`
	// COPY and ADD
	Sources []string `json:"sources,omitempty"`
	Dest    string   `json:"dest,omitempty"`
	From    string   `json:"from,omitempty"`
	Chown   string   `json:"chown,omitempty"`
	Chmod   string   `json:"chmod,omitempty"`
	// RUN, CMD, ENTRYPOINT: the command line and whether it is the shell form
	Command    []string `json:"command,omitempty"`
	ShellForm  *bool    `json:"shellForm,omitempty"`
	Path       string   `json:"path,omitempty"`  // WORKDIR
	User       string   `json:"user,omitempty"`  // USER
	Ports      []string `json:"ports,omitempty"` // EXPOSE
	KeyValues  []kv     `json:"keyValues,omitempty"`
	Volumes    []string `json:"volumes,omitempty"`
	StopSignal string   `json:"stopSignal,omitempty"`
}

type kv struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func line(locations []parser.Range) int {
	if len(locations) == 0 {
		return 0
	}
	return locations[0].Start.Line
}

func runInspect(args []string) error {
	if len(args) != 1 {
		return errors.New("inspect takes one Dockerfile")
	}
	dt, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	stages, metaArgs, escape, err := parseStages(dt)
	if err != nil {
		return err
	}
	out := inspected{Args: []inspectedArg{}, Stages: []inspectedStage{}}
	var env []string
	for _, a := range metaArgs {
		for _, arg := range a.Args {
			out.Args = append(out.Args, inspectedArg{Name: arg.Key, Default: arg.Value})
			if arg.Value != nil {
				env = append(env, arg.Key+"="+*arg.Value)
			}
		}
	}
	lex := shell.NewLex(escape)
	for _, stage := range stages {
		expanded, _, err := lex.ProcessWord(stage.BaseName, shell.EnvsFromSlice(env))
		if err != nil {
			return err
		}
		var stageEnv []string
		s := inspectedStage{Name: stage.Name, Base: stage.BaseName, BaseExpanded: expanded, Line: line(stage.Location), Instructions: []inspectedInstruction{}}
		for _, cmd := range stage.Commands {
			i := inspectedInstruction{Instruction: strings.ToUpper(cmd.Name()), Line: line(cmd.Location())}
			if stringer, ok := cmd.(fmt.Stringer); ok {
				i.Source = stringer.String()
			}
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				i.Sources, i.Dest, i.From, i.Chown, i.Chmod = c.SourcePaths, c.DestPath, c.From, c.Chown, c.Chmod
			case *instructions.AddCommand:
				i.Sources, i.Dest, i.Chown, i.Chmod = c.SourcePaths, c.DestPath, c.Chown, c.Chmod
			case *instructions.RunCommand:
				i.Command, i.ShellForm = c.CmdLine, &c.PrependShell
			case *instructions.CmdCommand:
				i.Command, i.ShellForm = c.CmdLine, &c.PrependShell
			case *instructions.EntrypointCommand:
				i.Command, i.ShellForm = c.CmdLine, &c.PrependShell
			case *instructions.WorkdirCommand:
				i.Path = c.Path
			case *instructions.UserCommand:
				i.User = c.User
			case *instructions.ExposeCommand:
				i.Ports = c.Ports
			case *instructions.EnvCommand:
				// Values as BuildKit sets them: quotes removed, earlier variables expanded.
				for _, pair := range c.Env {
					value, _, err := lex.ProcessWord(pair.Value, shell.EnvsFromSlice(stageEnv))
					if err != nil {
						return err
					}
					i.KeyValues = append(i.KeyValues, kv{pair.Key, value})
					stageEnv = append(stageEnv, pair.Key+"="+value)
				}
			case *instructions.LabelCommand:
				for _, pair := range c.Labels {
					value, _, err := lex.ProcessWord(pair.Value, shell.EnvsFromSlice(stageEnv))
					if err != nil {
						return err
					}
					i.KeyValues = append(i.KeyValues, kv{pair.Key, value})
				}
			case *instructions.ArgCommand:
				for _, arg := range c.Args {
					i.KeyValues = append(i.KeyValues, kv{arg.Key, arg.ValueString()})
				}
			case *instructions.VolumeCommand:
				i.Volumes = c.Volumes
			case *instructions.StopSignalCommand:
				i.StopSignal = c.Signal
			}
			s.Instructions = append(s.Instructions, i)
		}
		out.Stages = append(out.Stages, s)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// runContext prints the files of a build context that survive its .dockerignore, one relative path a
// line, with BuildKit's matcher: a path is left out when it or a parent matches, and an excluded
// directory is not walked unless a ! exception could bring something in it back.
func runContext(args []string) error {
	if len(args) != 1 {
		return errors.New("context takes one directory")
	}
	root := args[0]
	patterns, err := readDockerignore(root)
	if err != nil {
		return err
	}
	matcher, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		excluded, err := matcher.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if excluded {
			if d.IsDir() && !matcher.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, path.Clean(rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	w := io.Writer(os.Stdout)
	for _, f := range files {
		fmt.Fprintln(w, f)
	}
	return nil
}
