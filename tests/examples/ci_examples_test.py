#!/usr/bin/env python3
"""The example CI files in examples/ci/ parse, name only commands that exist,
and their sigtrust steps work: each example's shard steps are run as its CI
system would run them (one process per shard, with that system's variables),
then its merge step, with this build's sigtrust; the files its later steps
upload (SARIF, JUnit, artifacts) must then exist.

Steps that install or build (apt-get, scripts/install-deps, cmake, cpack) are
checked to exist, not run. Environment: SIGTRUST_SOURCE_DIR, SIGTRUST_BINARY.
"""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

SOURCE = os.environ["SIGTRUST_SOURCE_DIR"]
BINARY = os.environ["SIGTRUST_BINARY"]
EXAMPLES = os.path.join(SOURCE, "examples", "ci")

SHELL_WORDS = {"cd", "test", "[", "set", "export", "exit", "echo", "true", "false", ":", "if", "then", "else", "fi"}
SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")"}
SIGTRUST_COMMANDS = {"run", "matrix", "report", "relay", "list", "doctor", "help", "--version"}
# A step that runs sigtrust (not a file name such as ./sigtrust_0.1.0_amd64.deb).
RUNS_SIGTRUST = re.compile(r"(^|[\s;&|(])sigtrust\s")


def load(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def simple_commands(script):
    """The words of each simple command of a shell script (one command list per line)."""
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = []
        for token in lexer:
            if token in SEPARATORS:
                if words:
                    yield words
                words = []
            else:
                words.append(token)
        if words:
            yield words


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sigtrust-ci-examples-")
        # `sigtrust` on PATH is this build's binary, as the package would put it there.
        cls.bin = os.path.join(cls.tmp, "bin")
        os.makedirs(cls.bin)
        os.symlink(BINARY, os.path.join(cls.bin, "sigtrust"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assert_commands_exist(self, script, where):
        self.assertEqual(subprocess.run(["bash", "-n", "-c", script]).returncode, 0, f"{where}: not valid shell: {script}")
        for words in simple_commands(script):
            while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
                words = words[1:]  # VAR=value before the command
            if not words:
                continue
            cmd = words[0]
            if cmd == "sigtrust":
                self.assertGreater(len(words), 1, f"{where}: sigtrust without a command")
                self.assertIn(words[1], SIGTRUST_COMMANDS, f"{where}: no command 'sigtrust {words[1]}'")
            elif cmd in SHELL_WORDS:
                pass
            elif "/" in cmd:
                path = os.path.join(SOURCE, cmd)
                self.assertTrue(os.access(path, os.X_OK), f"{where}: {cmd} is not an executable in the repository")
            else:
                self.assertIsNotNone(shutil.which(cmd), f"{where}: command '{cmd}' not found")

    def workdir(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        return d

    def sh(self, script, cwd, env=None, where=""):
        full_env = dict(os.environ)
        for var in ("CI_NODE_INDEX", "CI_NODE_TOTAL", "JOB_COMPLETION_INDEX", "SIGTRUST_SHARDS"):
            full_env.pop(var, None)
        full_env.update(env or {})
        full_env["PATH"] = self.bin + os.pathsep + full_env["PATH"]
        r = subprocess.run(["sh", "-c", script], cwd=cwd, env=full_env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, f"{where}: `{script}` exited {r.returncode}:\n{r.stderr}{r.stdout}")
        return r

    def assert_merged(self, path, shards):
        with open(path, encoding="utf-8") as f:
            import json

            doc = json.load(f)
        self.assertEqual(doc["merged"]["shards"], shards)
        self.assertEqual(doc["command"], "matrix")
        self.assertGreater(len(doc["runs"]), 100)
        self.assertEqual(doc["summary"]["expectations_failed"], 0)

    def test_github_actions(self):
        (wf,) = load("github-actions.yml")
        jobs = wf["jobs"]
        self.assertTrue(wf.get(True) or wf.get("on"), "no trigger")  # YAML 1.1 reads `on:` as true
        shard_jobs = [n for n, j in jobs.items() if "shard" in j.get("strategy", {}).get("matrix", {})]
        self.assertEqual(len(shard_jobs), 1)
        shard_job = jobs[shard_jobs[0]]
        shards = shard_job["strategy"]["matrix"]["shard"]
        n = len(shards)
        self.assertEqual(shards, list(range(1, n + 1)), "shards are counted from 1")
        for name, job in jobs.items():
            needs = job.get("needs", [])
            for need in [needs] if isinstance(needs, str) else needs:
                self.assertIn(need, jobs, f"{name} needs an unknown job")
            for i, step in enumerate(job["steps"]):
                self.assertTrue(("run" in step) != ("uses" in step), f"{name} step {i}: run or uses")
                if "run" in step:
                    self.assert_commands_exist(step["run"].replace("${{ matrix.shard }}", "1"), f"{name} step {i}")
        merge_jobs = [n for n, j in jobs.items() if any("sigtrust report merge" in s.get("run", "") for s in j["steps"])]
        self.assertEqual(len(merge_jobs), 1)
        self.assertIn(shard_jobs[0], [jobs[merge_jobs[0]]["needs"]] if isinstance(jobs[merge_jobs[0]]["needs"], str) else jobs[merge_jobs[0]]["needs"])

        work = self.workdir("github")
        for k in shards:  # each matrix job
            for step in shard_job["steps"]:
                run = step.get("run", "")
                if RUNS_SIGTRUST.search(run):
                    self.assertIn(f"--shard ${{{{ matrix.shard }}}}/{n}", run, "N must be the number of matrix jobs")
                    self.sh(run.replace("${{ matrix.shard }}", str(k)), work, where=f"shard {k}")
                elif "upload-artifact" in step.get("uses", ""):
                    path = step["with"]["path"].replace("${{ matrix.shard }}", str(k))
                    self.assertTrue(glob.glob(os.path.join(work, path)), f"shard {k} uploads {path}, which is not there")
        merge = jobs[merge_jobs[0]]
        for step in merge["steps"]:
            if RUNS_SIGTRUST.search(step.get("run", "")):
                self.sh(step["run"], work, where="merge")
        uploads = {s["uses"].split("@")[0]: s.get("with", {}) for s in merge["steps"] if "uses" in s}
        sarif = uploads["github/codeql-action/upload-sarif"]["sarif_file"]
        junit = uploads["mikepenz/action-junit-report"]["report_paths"]
        self.assertTrue(os.path.isfile(os.path.join(work, sarif)), sarif)
        self.assertTrue(os.path.isfile(os.path.join(work, junit)), junit)
        self.assert_merged(os.path.join(work, "merged.json"), n)

    def test_gitlab_ci(self):
        (ci,) = load("gitlab-ci.yml")
        stages = ci["stages"]
        jobs = {k: v for k, v in ci.items() if isinstance(v, dict) and "script" in v}
        for name, job in jobs.items():
            self.assertIn(job["stage"], stages, name)
            for need in job.get("needs", []):
                self.assertIn(need, jobs, f"{name} needs an unknown job")
            for line in job["script"]:
                self.assert_commands_exist(line, name)
        parallel = [j for j in jobs.values() if "parallel" in j]
        self.assertEqual(len(parallel), 1)
        n = parallel[0]["parallel"]
        self.assertIsInstance(n, int)
        work = self.workdir("gitlab")
        for k in range(1, n + 1):  # GitLab's CI_NODE_INDEX counts from 1
            for line in parallel[0]["script"]:
                if RUNS_SIGTRUST.search(line):
                    self.assertIn("--shard auto", line)
                    self.sh(line, work, {"CI_NODE_INDEX": str(k), "CI_NODE_TOTAL": str(n)}, f"parallel job {k}")
            for path in parallel[0]["artifacts"]["paths"]:
                self.assertTrue(glob.glob(os.path.join(work, path)), path)
        (report,) = [j for j in jobs.values() if any("sigtrust report merge" in line for line in j["script"])]
        for line in report["script"]:
            if RUNS_SIGTRUST.search(line):
                self.sh(line, work, where="report")
        self.assertTrue(os.path.isfile(os.path.join(work, report["artifacts"]["reports"]["junit"])))
        self.assert_merged(os.path.join(work, "merged.json"), n)

    def test_kubernetes_indexed_job(self):
        docs = load("kubernetes-indexed-job.yaml")
        (merge_job,) = load("kubernetes-merge-job.yaml")
        claims = {d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"}
        (job,) = [d for d in docs if d["kind"] == "Job"]
        spec = job["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        n = spec["completions"]
        self.assertEqual(spec["parallelism"], n)
        work = self.workdir("kubernetes")

        def script_of(job_doc):
            (container,) = job_doc["spec"]["template"]["spec"]["containers"]
            for v in job_doc["spec"]["template"]["spec"]["volumes"]:
                self.assertIn(v["persistentVolumeClaim"]["claimName"], claims)
            self.assertEqual(container["command"], ["sh", "-c"])
            (script,) = container["args"]
            self.assert_commands_exist(script, job_doc["metadata"]["name"])
            env = {e["name"]: e["value"] for e in container.get("env", [])}
            # The shared volume, here a directory.
            for mount in container["volumeMounts"]:
                os.makedirs(os.path.join(work, mount["mountPath"].strip("/")), exist_ok=True)
                script = script.replace(mount["mountPath"], os.path.join(work, mount["mountPath"].strip("/")))
            return script, env

        script, env = script_of(job)
        self.assertEqual(int(env["SIGTRUST_SHARDS"]), n, "SIGTRUST_SHARDS must be the Job's completions")
        self.assertIn("--shard auto", script)
        for index in range(n):  # Kubernetes' JOB_COMPLETION_INDEX counts from 0
            self.sh(script, work, {**env, "JOB_COMPLETION_INDEX": str(index)}, f"index {index}")
        script, env = script_of(merge_job)
        self.sh(script, work, env, "merge")
        self.assertTrue(os.path.isfile(os.path.join(work, "results", "report", "results.sarif")))
        self.assert_merged(os.path.join(work, "results", "merged.json"), n)

    def test_dockerfile_installs_the_package(self):
        with open(os.path.join(EXAMPLES, "Dockerfile"), encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        self.assertTrue(lines[0].startswith("FROM debian:12"))
        runs = [line[4:] for line in lines if line.startswith("RUN ")]
        self.assertTrue(any("apt-get install" in r and "sigtrust_*.deb" in r for r in runs))
        for r in runs:
            self.assert_commands_exist(r, "Dockerfile")


if __name__ == "__main__":
    unittest.main(verbosity=2)
