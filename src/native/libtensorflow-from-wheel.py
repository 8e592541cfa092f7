"""Repack TensorFlow's pip wheel as the libtensorflow archive that @tensorflow/tfjs-node installs.

usage: python3 libtensorflow-from-wheel.py WHEEL OUT.tar.gz

The wheel's libtensorflow_cc.so.2 exports TensorFlow's C and eager C APIs, which are all that
tfjs-node's addon calls. The archive has the layout of Google's libtensorflow-cpu-*.tar.gz
(lib/ and include/): the names tfjs-node's installer and binding.gyp look for, plus the sonames
the dynamic linker asks for at run time (libtensorflow_cc.so.2, libtensorflow_framework.so.2).
Only the headers the addon includes are kept.
"""

import sys
import tarfile
import zipfile

# tfjs-node 4.22 checks for deps/lib/libtensorflow.so.<this> before it builds.
TFJS_NODE_LIBTENSORFLOW_VERSION = "2.9.1"
HEADERS = ("tensorflow/c/", "xla/tsl/c/", "tensorflow/core/platform/ctstring", "tsl/platform/ctstring")


def main(wheel_path: str, out_path: str) -> None:
    wheel = zipfile.ZipFile(wheel_path)

    def add_file(archive: tarfile.TarFile, name: str, member: str, mode: int) -> None:
        info = wheel.getinfo(member)
        entry = tarfile.TarInfo(name)
        entry.size, entry.mode = info.file_size, mode
        with wheel.open(info) as data:
            archive.addfile(entry, data)

    def add_link(archive: tarfile.TarFile, name: str, target: str) -> None:
        entry = tarfile.TarInfo(name)
        entry.type, entry.linkname = tarfile.SYMTYPE, target
        archive.addfile(entry)

    version = TFJS_NODE_LIBTENSORFLOW_VERSION
    # compresslevel 1: the archive only travels over loopback; level 9 would triple the build time.
    with tarfile.open(out_path, "w:gz", compresslevel=1) as archive:
        for lib, soname in (("libtensorflow", "libtensorflow_cc.so.2"), ("libtensorflow_framework", None)):
            real = f"{lib}.so.{version}"
            add_file(archive, f"lib/{real}", f"tensorflow/{soname or lib + '.so.2'}", 0o755)
            for alias in {f"{lib}.so", f"{lib}.so.2", soname or f"{lib}.so.2"}:
                add_link(archive, f"lib/{alias}", real)
        prefix = "tensorflow/include/"
        for member in wheel.namelist():
            header = member[len(prefix) :]
            if member.startswith(prefix) and header.startswith(HEADERS) and not member.endswith("/"):
                add_file(archive, f"include/{header}", member, 0o644)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    main(sys.argv[1], sys.argv[2])
