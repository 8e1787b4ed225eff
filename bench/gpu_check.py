"""One prepared check of the ML core on a GPU, each figure next to the same step on the CPU.

Runs on whichever Keras backend ``KERAS_BACKEND`` names (``bench/gpu_check.sh`` picks PyTorch,
which a lent GPU machine has; TensorFlow is not there). Steps, each time-boxed and each in its
own ``try`` so one failure still prints the rest:

1. build the backbone (ResNet50; the untrained network: same cost, no ImageNet file needed);
2. backbone clips/s at batch 32 and 256, float32 and mixed bfloat16 (CPU: batch 32, fewer clips);
3. a synthetic one-hour recording (calls of three kinds in noise, known positions) and
   ``--clips`` clip images of it, drawn by the app's ``clip_images``; their features;
4. head (the MLP) trained on those cached features, on the GPU and on the CPU: seconds and
   held-out AP of each;
5. fine-tuning conv5 for one epoch on the clip images (CPU: ``--cpu-clips`` images, the rate
   scaled to the same count and said so);
6. scoring the one-hour file with the app's ``ScoringEngine`` (CPU: its first minutes), and
   the largest difference between GPU and CPU scores on the windows both scored.

``--cpu`` runs the "GPU" column on the CPU too (for a machine without one); ``--quick`` sizes
everything down for a 2-core laptop. A JSON of every figure goes to ``$OUT/gpu_check.json`` when
``OUT`` is set (the device tool), else next to ``--json``.

    KERAS_BACKEND=torch python bench/gpu_check.py            # on the GPU machine
    KERAS_BACKEND=jax python bench/gpu_check.py --cpu --quick
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLASSES = ("tone", "sweep", "trill")
RATE = 22050
FIGURES: dict[str, Any] = {}
STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {text}", flush=True)


class StepTimeout(Exception):
    pass


@contextlib.contextmanager
def time_box(seconds: int) -> Iterator[None]:
    """Stops a step that runs past ``seconds`` (checked whenever Python runs between kernels)."""

    def expired(signum: int, frame: Any) -> None:
        raise StepTimeout(f"stopped after {seconds} s")

    if not hasattr(signal, "SIGALRM"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def step(name: str, seconds: int, budget: float, action: Callable[[], None]) -> None:
    left = budget - (time.monotonic() - STARTED)
    if left < 10:
        say(f"SKIPPED {name}: the total budget ({budget:.0f} s) is spent")
        FIGURES.setdefault("skipped", []).append(name)
        return
    say(f"--- {name}")
    begun = time.monotonic()
    try:
        with time_box(int(min(seconds, left))):
            action()
        say(f"--- {name}: done in {time.monotonic() - begun:.1f} s")
    except Exception as exc:  # noqa: BLE001 - one failed step must not hide the others
        FIGURES.setdefault("failed", {})[name] = f"{type(exc).__name__}: {exc}"
        say(f"FAILED {name}: {type(exc).__name__}: {exc}")
        traceback.print_exc(limit=6)
        sys.stdout.flush()


def cpu_scope() -> Any:
    import keras

    # "cpu", not "cpu:0": PyTorch would copy every new weight to "another" device, and a
    # copied weight can no longer be frozen (Keras sets requires_grad on it).
    return keras.device("cpu")


def scope(where: str) -> Any:
    """A fresh device scope (each can be entered once): the CPU, or the accelerator (Keras'
    default once ``device.configure`` chose it)."""
    return cpu_scope() if where == "CPU" else contextlib.nullcontext()


# --- synthetic audio -----------------------------------------------------------------------


def write_recording(path: Path, minutes: float, seed: int = 0) -> list[tuple[float, int]]:
    """A mono 22.05 kHz WAV of noise with calls every 1-3 s; returns (start s, class) per call."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * RATE)
    calls = []
    with sf.SoundFile(path, "w", RATE, 1, "PCM_16") as out:
        block_s = 60
        for begin in range(0, total, block_s * RATE):
            n = min(block_s * RATE, total - begin)
            audio = rng.normal(0, 10 ** (-55 / 20), n)
            t0 = begin / RATE
            at = rng.uniform(0.2, 1.0)
            while at < n / RATE - 0.8:
                kind = int(rng.integers(0, 3))
                piece = _call(kind, rng)
                first = int(at * RATE)
                audio[first : first + len(piece)] += piece
                calls.append((t0 + at, kind))
                at += rng.uniform(1.0, 3.5)
            out.write(audio.astype(np.float32))
    return calls


def _call(kind: int, rng: np.random.Generator, seconds: float = 0.6) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    if kind == 0:
        wave = np.sin(2 * np.pi * rng.uniform(2500, 3500) * t)
    elif kind == 1:
        f0, f1 = rng.uniform(1200, 1800), rng.uniform(6000, 7500)
        wave = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds)))
    else:
        wave = np.sin(2 * np.pi * rng.uniform(4500, 5500) * t) * (np.mod(t, 0.06) < 0.025)
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.02)
    return wave * envelope * 10 ** (rng.uniform(-30, -14) / 20)


def targets_for(starts: np.ndarray, calls: list[tuple[float, int]], clip_s: float) -> np.ndarray:
    """1 where a call lies at least 0.4 s inside the window, else 0."""
    y = np.zeros((len(starts), len(CLASSES)), np.float32)
    at = np.array([c[0] for c in calls])
    kinds = np.array([c[1] for c in calls])
    for i, s in enumerate(starts):
        inside = (np.minimum(at + 0.6, s + clip_s) - np.maximum(at, s)) >= 0.4
        y[i, np.unique(kinds[inside])] = 1
    return y


# --- the steps ------------------------------------------------------------------------------


class Check:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state: dict[str, Any] = {}
        self.main = "CPU" if args.cpu else "GPU"

    def places(self) -> list[str]:
        """Where each step runs: the GPU and then the CPU, or the CPU alone (``--cpu``)."""
        return [self.main] if self.args.cpu else [self.main, "CPU"]

    def environment(self) -> None:
        from model.ml import backends, device

        info = device.configure()
        FIGURES.update(
            backend=backends.name(),
            backend_version=backends.current().version(),
            device=info.description,
            python=platform.python_version(),
            cpu=_cpu_model(),
            cores=os.cpu_count(),
            mode="cpu" if self.args.cpu else "gpu",
            quick=self.args.quick,
        )
        import keras

        FIGURES["keras"] = keras.__version__
        say(f"backend {backends.label()} {FIGURES['backend_version']}, Keras {keras.__version__}")
        say(f"device: {info.description}; CPU: {FIGURES['cpu']} ({FIGURES['cores']} cores)")
        if not self.args.cpu and info.kind != "GPU":
            raise RuntimeError("no GPU seen by this backend: rerun with --cpu")

    def build(self) -> None:
        from model.ml import backends
        from model.ml.backbone import BackboneSpec, build_network

        spec = BackboneSpec.untrained()
        nets = {}
        for where in (self.main, "CPU"):
            if where == self.main and where == "CPU" and nets:
                continue
            for precision in ("float32", "mixed_bfloat16"):
                begun = time.monotonic()
                with scope(where):
                    net = build_network(spec, precision=precision)
                    nets[(where, precision)] = (net, backends.current().inference_step(net))
                seconds = time.monotonic() - begun
                FIGURES[f"build_{where}_{precision}_s"] = round(seconds, 2)
                say(f"built ResNet50 ({precision}) on {where} in {seconds:.1f} s")
        self.state["nets"] = nets

    def embed(self, where: str, precision: str, images: np.ndarray, batch: int) -> np.ndarray:
        from model.ml.backbone import preprocess

        _, run = self.state["nets"][(where, precision)]
        raw = getattr(run, "takes_uint8", False)  # the app's rule (FeatureExtractor.embed)
        out = np.empty((len(images), 2048), np.float32)
        with scope(where):
            for begin in range(0, len(images), batch):
                chunk = images[begin : begin + batch]
                out[begin : begin + batch] = run(chunk if raw else preprocess(chunk))
        return out

    def _rate(self, where: str, precision: str, batch: int, images: np.ndarray) -> np.ndarray:
        self.embed(where, precision, images[:batch], batch)  # warm-up: compile, autotune
        begun = time.perf_counter()
        out = self.embed(where, precision, images, batch)
        rate = len(images) / (time.perf_counter() - begun)
        FIGURES[f"clips_per_s_{where}_{precision}_b{batch}"] = round(rate, 1)
        say(
            f"backbone {where} {precision:15s} batch {batch:3d}: {rate:8.1f} clips/s "
            f"({len(images)} clips)"
        )
        return out

    def reference(self) -> None:
        """The same network in plain PyTorch (torchvision's ResNet50, channels-last, bfloat16
        autocast): what this GPU gives without Keras, so Sonotag's figure has a yardstick."""
        if self.args.cpu:
            say("--cpu: the plain-PyTorch yardstick is for the GPU run only")
            return
        import torch
        import torchvision

        if not torch.cuda.is_available():
            say("no CUDA device: the plain-PyTorch yardstick is for the GPU run only")
            return
        net = torchvision.models.resnet50(weights=None)
        net.fc = torch.nn.Identity()
        net = net.cuda().eval().to(memory_format=torch.channels_last)
        batch = 256
        x = torch.randn(batch, 3, 224, 224, device="cuda").to(memory_format=torch.channels_last)
        for dtype, name in ((torch.float32, "float32"), (torch.bfloat16, "bfloat16")):
            with (
                torch.inference_mode(),
                torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32),
            ):
                for _ in range(3):
                    net(x)
                torch.cuda.synchronize()
                begun = time.perf_counter()
                rounds = 8
                for _ in range(rounds):
                    net(x)
                torch.cuda.synchronize()
            rate = rounds * batch / (time.perf_counter() - begun)
            FIGURES[f"reference_torchvision_{name}_b{batch}"] = round(rate, 1)
            say(
                f"plain PyTorch ResNet50 {name:8s} batch {batch}: {rate:8.1f} clips/s "
                "(channels-last, data already on the GPU)"
            )

    def layouts(self) -> None:
        """Where Keras-on-PyTorch loses against the yardstick: the same Keras ResNet50 fed a
        batch already on the GPU (no NumPy in, no NumPy out), channels-last as the app builds
        it and channels-first, float32 and bfloat16. A diagnosis for the next round, not the
        app's path."""
        if self.args.cpu:
            say("--cpu: the layout diagnosis is for the GPU run only")
            return
        import keras
        import torch

        batch = 256
        for layout in ("channels_last", "channels_first"):
            for precision in ("float32", "mixed_bfloat16"):
                keras.config.set_image_data_format(layout)
                keras.config.set_dtype_policy(precision)
                shape = (224, 224, 3) if layout == "channels_last" else (3, 224, 224)
                try:
                    net = keras.applications.ResNet50(
                        include_top=False, weights=None, input_shape=shape, pooling="avg"
                    )
                finally:
                    keras.config.set_image_data_format("channels_last")
                    keras.config.set_dtype_policy("float32")
                x = torch.randn(batch, *shape, device="cuda")
                with torch.inference_mode():
                    for _ in range(2):
                        net(x, training=False)
                    torch.cuda.synchronize()
                    begun = time.perf_counter()
                    rounds = 4
                    for _ in range(rounds):
                        net(x, training=False)
                    torch.cuda.synchronize()
                rate = rounds * batch / (time.perf_counter() - begun)
                FIGURES[f"keras_{layout}_{precision}_on_gpu_b{batch}"] = round(rate, 1)
                say(
                    f"Keras ResNet50 {layout:14s} {precision:15s} batch {batch}, input on the "
                    f"GPU: {rate:8.1f} clips/s"
                )

    def images(self, count: int) -> np.ndarray:
        return np.random.default_rng(0).integers(0, 256, (count, 224, 224, 3), np.uint8)

    def throughput(self) -> None:
        """The main column: batch 32 and 256 (no batch larger than the clips measured)."""
        images = self.images(self.args.bench_clips)
        for precision in ("float32", "mixed_bfloat16"):
            for batch in (32, 256):
                if batch <= max(32, len(images)):
                    self._rate(self.main, precision, batch, images)

    def throughput_cpu(self) -> None:
        """The CPU beside it, sized down; float32 first, so the feature check comes before
        bfloat16, which a CPU without bfloat16 arithmetic runs slowly."""
        images = self.images(self.args.cpu_bench_clips)
        cpu = self._rate("CPU", "float32", 32, images)
        main = self.embed(self.main, "float32", images, 32)
        diff = float(np.max(np.abs(main - cpu)) / (np.max(np.abs(cpu)) + 1e-12))
        FIGURES["features_max_rel_diff_main_vs_cpu_fp32"] = diff
        say(
            f"features {self.main} vs CPU (float32, {len(images)} clips): max |diff| / max = "
            f"{diff:.2e}"
        )
        self._rate("CPU", "mixed_bfloat16", 32, images)

    def data(self) -> None:
        from model.clips import clip_images
        from model.clips.batch import window_starts
        from model.clips.settings import ClipSettings

        folder = Path(tempfile.mkdtemp(prefix="sonotag-gpu-check-"))
        path = folder / "one_hour.wav"
        begun = time.monotonic()
        calls = write_recording(path, self.args.minutes)
        say(
            f"wrote {self.args.minutes:g} min of synthetic audio ({len(calls)} calls) in "
            f"{time.monotonic() - begun:.1f} s"
        )
        settings = ClipSettings()
        duration = self.args.minutes * 60
        hop = max((duration - settings.clip_seconds) / self.args.clips, 0.05)
        starts = window_starts(duration, settings.clip_seconds, hop)[: self.args.clips]
        begun = time.monotonic()
        images = clip_images(path, starts, settings)
        seconds = time.monotonic() - begun
        FIGURES["clip_images_per_s"] = round(len(images) / seconds, 1)
        say(
            f"drew {len(images)} clip images in {seconds:.1f} s ({len(images) / seconds:.0f}/s, "
            "one CPU thread)"
        )
        targets = targets_for(starts, calls, settings.clip_seconds)
        begun = time.monotonic()
        features = self.embed(self.main, "float32", images, 256 if not self.args.cpu else 32)
        say(
            f"features of {len(images)} clips on {self.main} in "
            f"{time.monotonic() - begun:.1f} s; positives per class {targets.sum(0).tolist()}"
        )
        self.state.update(
            path=path,
            settings=settings,
            images=images,
            targets=targets,
            features=features,
            calls=calls,
        )

    def head(self) -> None:
        from model.ml.head import MLP, HeadConfig, inference_copy, train_head
        from model.ml.metrics import average_precision, mean_ap

        x, y = self.state["features"], self.state["targets"]
        cut = int(len(x) * 0.8)  # by time: the last fifth of the hour is held out
        config = HeadConfig(kind=MLP, epochs=self.args.head_epochs)
        results = {}
        for where in self.places():
            with scope(where):
                begun = time.monotonic()
                fit = train_head(x[:cut], y[:cut], (x[cut:], y[cut:]), config)
                seconds = time.monotonic() - begun
                from model.ml.head import predict_scores

                ap = mean_ap(average_precision(y[cut:], predict_scores(fit.model, x[cut:])))
            results[where] = ap
            FIGURES[f"head_train_{where}_s"] = round(seconds, 2)
            FIGURES[f"head_epochs_{where}"] = len(fit.history)
            FIGURES[f"head_heldout_map_{where}"] = round(float(ap), 4)
            say(
                f"head on {where}: {seconds:.2f} s for {len(fit.history)} epochs on {cut} "
                f"clips; held-out mAP {ap:.3f}"
            )
            if where == self.main:
                self.state["head"] = inference_copy(fit.model)
        from model.ml.linear_head import fit_linear_weights

        begun = time.monotonic()  # the default head: fitted on the CPU wherever training runs
        fit_linear_weights(x[:cut], y[:cut], HeadConfig())
        seconds = time.monotonic() - begun
        FIGURES["linear_head_fit_s"] = round(seconds, 2)
        say(f"linear head (the default) on {cut} cached clips: fitted in {seconds:.2f} s (CPU)")
        if len(results) == 2:
            gap = abs(results[self.main] - results["CPU"])
            FIGURES["head_map_gap"] = round(float(gap), 4)
            say(f"held-out mAP {self.main} vs CPU differs by {gap:.3f} (agree: {gap <= 0.03})")

    def fine_tune(self) -> None:
        from model.ml.backbone import BackboneSpec
        from model.ml.finetune import build_fine_tune_model, fine_tune
        from model.ml.head import inference_copy

        images, y = self.state["images"], self.state["targets"]
        sizes = [(self.main, len(images), "float32", 16)]
        if not self.args.cpu:
            sizes.append((self.main, len(images), "mixed_bfloat16", 64))
            sizes.append(("CPU", self.args.cpu_clips, "float32", 16))
        for where, count, precision, batch in sizes:
            with scope(where):
                head = inference_copy(self.state["head"])  # its weights on this device
                model = build_fine_tune_model(BackboneSpec.untrained(), head, precision)
                begun = time.monotonic()
                fine_tune(model, images[:count], y[:count], epochs=1, batch_size=batch)
                seconds = time.monotonic() - begun
            per = seconds / count
            tag = f"{where}" + ("" if precision == "float32" else f"_{precision}_b{batch}")
            FIGURES[f"finetune_epoch_{tag}_s"] = round(seconds, 2)
            FIGURES[f"finetune_clips_{tag}"] = count
            FIGURES[f"finetune_epoch_{tag}_s_per_{len(images)}"] = round(per * len(images), 1)
            scaled = (
                ""
                if count == len(images)
                else (
                    f" (sized down; {per * len(images):.0f} s for {len(images)} clips at this rate)"
                )
            )
            say(
                f"fine-tune conv5 on {where} ({precision}, batch {batch}): one epoch of {count} "
                f"clips in {seconds:.1f} s ({count / seconds:.1f} clips/s){scaled}"
            )

    def score(self) -> None:
        from model.ml import backbones
        from model.ml.head import inference_copy, predict_scores
        from model.ml.scoring import FileJob, ScoringEngine

        runs: list[tuple[str, float | None]] = [(self.main, None)]
        if not self.args.cpu:
            runs.append(("CPU", self.args.cpu_minutes))
        scores = {}
        for where, minutes in runs:
            path = self.state["path"]
            if minutes is not None:
                path = path.with_name("first_minutes.wav")
                import soundfile as sf

                audio, rate = sf.read(self.state["path"], frames=int(minutes * 60 * RATE))
                sf.write(path, audio, rate)
            # The app's ResNet50 backbone on Keras, given the network built for this device.
            backbone = backbones.create(
                "resnet50-untrained",
                precision="float32",
                batch_size=self.args.score_batch,
                engine="keras",
            )
            extractor: Any = backbone.extractor
            extractor._network, extractor._step = self.state["nets"][(where, "float32")]
            with scope(where):
                head = inference_copy(self.state["head"])
                engine = ScoringEngine(
                    backbone,
                    lambda f, h=head: predict_scores(h, f),
                    self.state["settings"],
                    hop=1.0,
                    outputs=len(CLASSES),
                )
                begun = time.monotonic()
                [result] = list(engine.score([FileJob(path, key=where)]))
                seconds = time.monotonic() - begun
            if not result.ok:
                raise RuntimeError(result.error)
            scores[where] = result.scores
            audio_min = self.args.minutes if minutes is None else minutes
            FIGURES[f"score_{where}_s"] = round(seconds, 2)
            FIGURES[f"score_{where}_audio_min"] = audio_min
            FIGURES[f"score_{where}_windows_per_s"] = round(len(result.scores) / seconds, 1)
            say(
                f"scored {audio_min:g} min of audio on {where} in {seconds:.1f} s "
                f"({len(result.scores)} windows at hop 1 s, {len(result.scores) / seconds:.0f}/s"
                f"{'' if minutes is None else '; sized down'})"
            )
        if len(scores) == 2:
            n = len(scores["CPU"])
            diff = float(np.max(np.abs(scores[self.main][:n] - scores["CPU"])))
            FIGURES["score_max_abs_diff_main_vs_cpu"] = diff
            say(
                f"scores {self.main} vs CPU on the first {n} windows: max |diff| {diff:.2e} "
                f"(agree within 1e-3: {diff <= 1e-3})"
            )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="no GPU: run every step on the CPU")
    parser.add_argument("--quick", action="store_true", help="sized for a 2-core laptop")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does every step run?")
    parser.add_argument("--budget", type=float, default=None, help="seconds for all steps")
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
    args = parser.parse_args()
    big = not (args.cpu or args.quick)
    args.minutes = 60.0 if not args.quick else 4.0
    args.clips = 5000 if not args.quick else 240
    args.bench_clips = 2048 if big else (64 if not args.quick else 32)
    args.cpu_bench_clips = 64 if not args.quick else 32
    args.cpu_clips = 160 if not args.quick else 32
    args.cpu_minutes = 3.0 if not args.quick else 1.0
    args.head_epochs = 60
    args.score_batch = 256 if big else 32
    if args.smoke:
        args.quick = True
        args.minutes, args.clips, args.bench_clips, args.cpu_bench_clips = 1.0, 40, 4, 4
        args.cpu_clips, args.cpu_minutes, args.head_epochs = 4, 0.5, 3
    if args.budget is None:  # the GPU run fits a 6-minute call; a CPU run takes what it needs
        args.budget = 3600 if args.cpu else 400
    return args


def main() -> int:
    args = parse()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if args.cpu:
        os.environ["SONOTAG_DEVICE"] = "cpu"
    check = Check(args)
    steps = [
        ("environment", 120, check.environment),
        ("build backbone", 120, check.build),
        ("backbone clips/s", 120, check.throughput),
        ("plain PyTorch yardstick", 60, check.reference),
        ("Keras layouts on the GPU (diagnosis)", 60, check.layouts),
        ("backbone clips/s on the CPU (sized down)", 100, check.throughput_cpu),
        ("one-hour file, clip images and features", 150, check.data),
        ("head on cached features", 90, check.head),
        ("fine-tune conv5, one epoch", 150, check.fine_tune),
        ("score the one-hour file", 120, check.score),
    ]
    stretch = 10 if args.cpu else 1  # a laptop CPU takes minutes where the GPU takes seconds
    for name, seconds, action in steps:
        if args.cpu and action == check.throughput_cpu:
            continue  # one column: the main steps ran on the CPU already
        step(name, seconds * stretch, args.budget, action)
    FIGURES["total_s"] = round(time.monotonic() - STARTED, 1)
    # What a machine without this project's dependencies must be given (bench/gpu_wheels.sh).
    FIGURES["third_party_modules"] = sorted(
        {name.split(".")[0] for name in sys.modules}
        - set(sys.stdlib_module_names)
        - {"model", "app", "__main__", "_distutils_hack"}
    )
    say(f"total {FIGURES['total_s']} s; failed steps: {sorted(FIGURES.get('failed', {}))}")
    out = args.json or (
        Path(os.environ["OUT"]) / "gpu_check.json" if os.environ.get("OUT") else None
    )
    if out is not None:
        out.write_text(json.dumps(FIGURES, indent=1, default=str))
        say(f"figures written to {out}")
    print(json.dumps(FIGURES, default=str), flush=True)
    return 1 if FIGURES.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
