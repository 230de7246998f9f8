# lit configuration for Parallax's golden tests (lit + FileCheck from llvm-14).
#
# Each test is a file with RUN lines; small models are kept inline in text format and cut out
# with split-file. Substitutions:
#   %parallax-compile, %parallax-run   the tools under test (from PARALLAX_BIN_DIR)
#   FileCheck, not, split-file, count  llvm-14's tools
# Run by ctest (test `lit`) or by hand:
#   /usr/lib/llvm-14/build/utils/lit/lit.py -sv tests/lit --param bin_dir=build/bin
import os

import lit.formats

config.name = "parallax"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".test"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["lit.cfg.py"]

bin_dir = lit_config.params.get("bin_dir") or os.environ.get("PARALLAX_BIN_DIR")
if not bin_dir:
    lit_config.fatal("pass --param bin_dir=<build>/bin (the folder holding parallax-compile)")
bin_dir = os.path.abspath(bin_dir)
# Test outputs (%t) go to the build tree, never into the sources.
config.test_exec_root = os.path.join(os.path.dirname(bin_dir), "lit-output")
llvm_bin = "/usr/lib/llvm-14/bin"

config.substitutions.append(("%parallax-compile", os.path.join(bin_dir, "parallax-compile")))
config.substitutions.append(("%parallax-run", os.path.join(bin_dir, "parallax-run")))
config.environment["PATH"] = os.pathsep.join([llvm_bin, config.environment.get("PATH", "")])
