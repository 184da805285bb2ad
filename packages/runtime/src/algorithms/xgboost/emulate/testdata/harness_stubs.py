"""Import hooks so that sagemaker-xgboost-container's algorithm-mode code imports on Debian's python3
(xgboost 1.7.4, numpy, pandas, scipy, flask) without mlio, pyarrow, scikit-learn, protobuf or the
SageMaker toolkits' heavy parts. Only modules that the checked functions never call are stubbed;
sagemaker_containers' _content_types, _errors and _encoders and sagemaker_inference's content_types
and errors are the real files (REAL_SRC)."""
import importlib.abc, importlib.machinery, importlib.util, sys, types, os
from unittest import mock

REAL_SRC = os.environ.get("REAL_SRC", "/tmp/harness/real/src")
STUB_PREFIXES = ("mlio", "pyarrow", "sklearn", "smdebug", "dask", "distributed", "cudf", "dask_cuda", "retrying", "psutil", "boto3", "botocore", "gunicorn", "multi_model_server", "sagemaker_containers.record_pb2", "google")
REAL = {
    "sagemaker_containers._content_types", "sagemaker_containers._errors", "sagemaker_containers._encoders",
    "sagemaker_containers._recordio",
    "sagemaker_inference.content_types", "sagemaker_inference.errors", "sagemaker_inference.decoder", "sagemaker_inference.encoder",
    "sagemaker_inference.utils",
}

class Stub(types.ModuleType):
    def __init__(self, name):
        super().__init__(name)
        self.__path__ = []
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if f"{self.__name__}.{attr}" in REAL:
            return importlib.import_module(f"{self.__name__}.{attr}")
        if self.__name__ == "sagemaker_containers.beta.framework" and attr == "encoders":
            # the real encoders (sagemaker_containers/beta/framework/__init__.py re-exports _encoders)
            return importlib.import_module("sagemaker_containers._encoders")
        m = mock.MagicMock(name=f"{self.__name__}.{attr}")
        setattr(self, attr, m)
        return m

class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name in REAL:
            parts = name.split(".")
            file = os.path.join(REAL_SRC, *parts) + ".py"
            return importlib.util.spec_from_file_location(name, file)
        top = name.split(".")[0]
        if name.startswith(STUB_PREFIXES) or top in ("sagemaker_containers", "sagemaker_inference"):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None
    def create_module(self, spec):
        return Stub(spec.name)
    def exec_module(self, module):
        pass

import numpy, pandas, scipy.sparse, xgboost  # the real ones, before the stubs exist
sys.meta_path.insert(0, Finder())
