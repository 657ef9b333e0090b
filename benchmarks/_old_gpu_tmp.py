import sys, importlib.util
sys.path.insert(0, "benchmarks")
import homogenize as bh
spec = importlib.util.spec_from_file_location("oldh", "benchmarks/_old_homogenize_tmp.py"); old = importlib.util.module_from_spec(spec); sys.modules["oldh"] = old; spec.loader.exec_module(old)
bh.effective_conductivity, bh.effective_stiffness = old.effective_conductivity, old.effective_stiffness
sys.argv = ["x", "--parts", "gpu", "--gpu-chunks", "16", "64"]
bh.main()
