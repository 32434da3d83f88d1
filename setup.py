"""Installs spinnpop and builds its host C (the emulator and the models)
with the machine's C compiler, through c_models/Makefile."""

import os
import subprocess

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithHostLibraries(build_py):
    """build_py that also compiles the host libraries into the package
    (into the source tree for an editable install)."""

    def run(self):
        super().run()
        package = (os.path.join(HERE, "spinnpop") if self.editable_mode
                   else os.path.join(self.build_lib, "spinnpop"))
        subprocess.check_call([
            "make", "-C", os.path.join(HERE, "c_models"), "host",
            "HOST_OUT=" + os.path.join(os.path.abspath(package), "_native")])


class WithHostLibraries(Distribution):
    """The package holds machine code, so its wheels are per platform."""

    def has_ext_modules(self):
        return True


setup(
    name="spinnpop",
    version="0.1.0",
    description="Deep learning, training included, on SpiNNaker in the "
                "style of PyNN, with a host emulator of the machine",
    long_description=open(os.path.join(HERE, "README.rst"),
                          encoding="utf-8").read(),
    long_description_content_type="text/x-rst",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["spinnpop", "spinnpop.*"]),
    install_requires=[
        "numpy",
        "SpiNNakerGraphFrontEnd",
        "scikit-learn",
        "tqdm",
    ],
    extras_require={
        "hdf5": ["h5py"],
        "torch": ["torch"],
        "keras": ["keras"],
        "test": ["pytest", "nbclient", "nbformat", "ipykernel", "unicorn",
                 "capstone", "pyelftools", "scipy", "h5py"],
    },
    cmdclass={"build_py": BuildWithHostLibraries},
    distclass=WithHostLibraries,
    zip_safe=False,
)
