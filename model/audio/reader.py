"""Reading any span of a recording without loading the file, as float32 mono.

WAV and FLAC seek exactly, so a 2 s window at the end of a 2-hour file costs the same as one at
the start. The libsndfile build shipped with ``soundfile`` (1.2.2) is not trustworthy for the
lossy formats, as the tests in ``tests/model/audio`` show against a front-to-back decode:

* Ogg Vorbis: a seek returns wrong samples for up to ~900 frames, or lands off by hundreds of
  frames. Reading forward is exact, so a short file is decoded once and kept (below
  ``OGG_CACHE_BYTES``); a longer one decodes forward from where it is and rewinds to the start
  for an earlier span (cost proportional to the distance; forward scans stay cheap).
* MP3: only the FIRST read after opening or rewinding is right; every later read call (and any
  seek) returns corrupted samples on some material (sweeps: 100 % wrong, checked with ffmpeg).
  So an MP3 is decoded once, in one call, when first read, and kept in memory (frames ×
  channels × 4 bytes: 10 min stereo 44.1 kHz is 210 MB); longer MP3s than ``MP3_MAX_BYTES``
  are refused with advice to convert them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from model.audio.damage import FLOAT_SUBTYPES, SampleDamage, scan, zero_non_finite
from model.audio.decoder_notes import caught_decoder_notes, summary
from model.audio.info import AudioInfo
from model.audio.opening import NO_CHANNELS, open_soundfile
from model.audio.riff import read_riff_layout
from model.audio.site import find_site
from model.audio.start_time import find_start_time
from model.errors import AudioError

_SEQUENTIAL_FORMATS = frozenset({"OGG"})
_PCM16_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "FLAC", "AIFF"})
MP3_MAX_BYTES = 3 << 30
OGG_CACHE_BYTES = 128 << 20  # Ogg files up to ~11 min mono 48 kHz are decoded once and kept
_FORMAT_NAMES = {"WAVEX": "WAV", "RF64": "WAV"}
_BLOCK = 1 << 16  # frames decoded per step while skipping forward in a compressed file
_COUNT_BLOCK = 4096  # small, so a decode error loses little of the count
_END_CHECK = 64  # frames read at the end on open to catch files cut short
_LOSSY_SLACK = 2 * 1152  # an MP3 header may over-count by padding; not worth an error
# Sample rates sound recorders use, from 1 kHz (hydrophone loggers, infrasound excluded) to
# 768 kHz (the fastest bat and ultrasound recorders). Outside that the header is damaged: a
# 1 Hz header would turn a minute of audio into a 4 1/2-hour scoring job.
MIN_RATE, MAX_RATE = 1_000, 768_000


class AudioFile:
    """One open recording. Keeps a libsndfile handle; NOT thread-safe: one per thread."""

    def __init__(self, path: str | Path, *, allow_truncated: bool = True) -> None:
        """``allow_truncated=False`` refuses a file cut short instead of opening what is left
        (with ``info.warning`` saying so)."""
        self.path = Path(path)
        self._sf: sf.SoundFile | None = open_soundfile(self.path)
        self._pos = 0  # decoder position, only tracked for sequential formats
        self._whole: np.ndarray | None = None  # MP3 decoded once (see module docstring)
        self._may_be_non_finite = (self._sf.subtype or "") in FLOAT_SUBTYPES
        # 16-bit PCM (what AudioMoth and most recorders write) is read as it is stored and
        # scaled here: the same floats as libsndfile's conversion (x / 32768, exact), at a
        # third of its cost, which scoring pays on every second of audio.
        self._pcm16 = self._sf.subtype == "PCM_16" and self._sf.format in _PCM16_FORMATS
        self._damage: SampleDamage | None = None
        try:
            mpeg = self._sf.format == "MP3"
            failure: AudioError | None = None
            with caught_decoder_notes(mpeg) as notes:
                try:
                    self.info = self._inspect(allow_truncated)
                except AudioError as exc:
                    failure = exc
            if failure is not None:  # the decoder's own words are the real cause
                said = summary(notes)
                if said:
                    raise AudioError(self.path, f"{failure.cause} (decoder says: {said})")
                raise failure
            if notes and self.info.warning:
                self.info = _with_warning(self.info, f"decoder says: {summary(notes)}")
        except BaseException:
            self.close()
            raise

    # -- opening -----------------------------------------------------------------------------

    def _inspect(self, allow_truncated: bool) -> AudioInfo:
        f = self._handle()
        fmt = _FORMAT_NAMES.get(f.format, f.format)
        self._sequential = fmt in _SEQUENTIAL_FORMATS
        self._decode_whole = fmt == "MP3"
        if f.channels < 1:
            raise AudioError(self.path, NO_CHANNELS)
        if f.samplerate <= 0:
            raise AudioError(self.path, "the header gives no sample rate")
        if not MIN_RATE <= f.samplerate <= MAX_RATE:
            raise AudioError(
                self.path,
                f"sample rate of {f.samplerate} Hz is outside the 1 kHz to 768 kHz that sound "
                "recorders use: the header is probably damaged",
            )
        frames = int(f.frames)
        if frames <= 0 or frames >= 1 << 62:
            frames = self._count_frames()  # unknown length (headerless MP3 stream)
        if frames <= 0:
            hint = "" if fmt == "WAV" else " (the file may be cut short or damaged)"
            raise AudioError(self.path, "contains no audio samples" + hint)

        guano_chunk = None
        promised = frames
        if fmt == "WAV":
            try:
                layout = read_riff_layout(self.path)
            except OSError:
                layout = None
            if layout is not None:
                guano_chunk = layout.guano
                if layout.data_size is not None and layout.block_align:
                    promised = max(frames, layout.data_size // layout.block_align)
        if promised == frames and not self._end_is_readable(frames):
            header, frames = frames, self._count_frames()
            # MP3 headers may over-count by the encoder padding: not a damaged file.
            small_gap = self._decode_whole and header - frames <= _LOSSY_SLACK
            promised = frames if small_gap else header
        if self._sequential:
            self._rewind()
        f = self._handle()  # counting may have replaced a decoder that choked on damage
        if frames <= 0:
            raise AudioError(self.path, "contains no audio samples that can be decoded")

        warning = ""
        if promised > frames:
            what = "file is truncated" if fmt == "WAV" else "file is truncated or damaged"
            warning = (
                f"{what}: header promises {promised} frames "
                f"({promised / f.samplerate:.2f} s), only {frames} could be read "
                f"({frames / f.samplerate:.2f} s); the readable part is used"
            )
            if not allow_truncated:
                raise AudioError(self.path, warning)

        if self._sequential and frames * f.channels * 4 <= OGG_CACHE_BYTES:
            self._decode_whole = True  # short Ogg: decode once, then any span is instant
        metadata = _metadata(f)
        start, source = find_start_time(
            self.path, guano_chunk=guano_chunk, comment=metadata.get("comment")
        )
        # Absolute: "a.wav" in its own folder is in that folder (its site), not in "".
        site, site_source = find_site(
            self.path.absolute(), guano_chunk=guano_chunk, metadata=metadata
        )
        return AudioInfo(
            path=self.path,
            format=fmt,
            sample_rate=int(f.samplerate),
            channels=int(f.channels),
            frames=frames,
            duration=frames / f.samplerate,
            start_time=start,
            start_time_source=source,
            subtype=f.subtype or "",
            warning=warning,
            site=site,
            site_source=site_source,
        )

    def damage(self) -> SampleDamage:
        """NaN/infinite samples in a float recording (scanned once per file version)."""
        if self._damage is None:
            if not self._may_be_non_finite:
                from model.audio.damage import NO_DAMAGE

                self._damage = NO_DAMAGE
            else:
                self._damage = scan(self._handle(), self.path, self.info.frames)
                self._pos = -1  # sequential decoders must rewind before the next read
        return self._damage

    def _end_is_readable(self, frames: int) -> bool:
        f = self._handle()
        k = min(_END_CHECK, frames)
        try:
            f.seek(frames - k)
            got = f.read(k, dtype="float32", always_2d=True)
        except (RuntimeError, ValueError):
            return False
        return len(got) == k

    def _count_frames(self) -> int:
        """Frames that really decode, for headers that lie; only called on suspicious files."""
        f = self._handle()
        if self._decode_whole:
            try:
                return len(self._whole_decode())
            except AudioError:
                return 0
        count = 0
        self._rewind()
        f = self._handle()
        try:
            buf = np.empty((_COUNT_BLOCK, f.channels), dtype="float32")
            while True:
                n = len(f.read(_COUNT_BLOCK, dtype="float32", always_2d=True, out=buf))
                count += n
                if n < _COUNT_BLOCK:
                    break
        except (RuntimeError, ValueError):
            pass
        self._rewind()
        return count

    # -- reading -----------------------------------------------------------------------------

    def read(
        self,
        start: float,
        duration: float,
        *,
        channel: int | None = None,
        sample_rate: int | None = None,
        pad: bool = False,
    ) -> np.ndarray:
        """Samples from ``start`` s for ``duration`` s as float32 mono.

        pad=True: exactly ``round(duration * rate)`` samples, zeros where the span lies outside
        the file. pad=False: only the part inside the file (cut at both ends), so a window
        starting at -0.5 s begins at 0 s.
        """
        if not (math.isfinite(start) and math.isfinite(duration)) or duration < 0:
            raise ValueError(f"bad span: start={start!r}, duration={duration!r}")
        self._check_channel(channel)
        native = self.info.sample_rate
        rate = native if sample_rate is None else int(sample_rate)
        if rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate!r}")
        n_out = max(0, round(duration * rate))
        first = round(start * native)

        if rate == native:
            data, at = self._read_clipped(first, first + n_out)
            mono = _pick(data, channel)
            if not pad:
                return mono
            out = np.zeros(n_out, dtype=np.float32)
            out[at - first : at - first + len(mono)] = mono
            return out

        margin = resampling_margin(native, rate)
        n_native = max(0, round(duration * native))
        lo, hi = first - margin, first + n_native + margin
        data, at = self._read_clipped(lo, hi)
        buf = np.zeros(hi - lo, dtype=np.float32)
        mono = _pick(data, channel)
        buf[at - lo : at - lo + len(mono)] = mono
        seg = resample_span(buf, native, rate, margin, n_out)
        # Outside the file: exact zeros when padding (not filter ringing), nothing otherwise.
        real_start = max(start, 0.0)
        real_end = min(start + duration, (at + len(mono)) / native if len(mono) else 0.0)
        i0 = min(n_out, max(0, round((real_start - start) * rate)))
        i1 = max(i0, min(n_out, round((real_end - start) * rate)))
        if pad:
            seg[:i0] = 0.0
            seg[i1:] = 0.0
        else:
            seg = seg[i0:i1]
        return np.ascontiguousarray(seg, dtype=np.float32)

    def read_frames(
        self, start_frame: int, n_frames: int, *, channel: int | None = None
    ) -> np.ndarray:
        """Native-rate samples [start_frame, start_frame + n_frames) cut to the file."""
        if n_frames < 0:
            raise ValueError(f"n_frames must be >= 0, got {n_frames}")
        self._check_channel(channel)
        data, _ = self._read_clipped(int(start_frame), int(start_frame) + int(n_frames))
        return _pick(data, channel)

    def _check_channel(self, channel: int | None) -> None:
        if channel is not None and not (0 <= channel < self.info.channels):
            raise ValueError(
                f"channel {channel} does not exist: {self.path.name} has "
                f"{self.info.channels} channel(s), numbered from 0"
            )

    def _read_clipped(self, lo: int, hi: int) -> tuple[np.ndarray, int]:
        """(frames × channels, first frame) for [lo, hi) ∩ the file; short at a real end."""
        f = self._handle()
        a, b = max(lo, 0), min(hi, self.info.frames)
        if b <= a:
            return np.zeros((0, f.channels), dtype=np.float32), a
        if self._decode_whole:
            whole = self._whole_decode()
            return whole[a:b], a
        try:
            if self._sequential:
                self._advance_to(a)
                data = f.read(b - a, dtype="float32", always_2d=True)
                self._pos += len(data)
            elif self._pcm16:
                f.seek(a)
                data = f.read(b - a, dtype="int16", always_2d=True).astype(np.float32)
                data *= np.float32(1.0 / 32768.0)
            else:
                f.seek(a)
                data = f.read(b - a, dtype="float32", always_2d=True)
        except (RuntimeError, ValueError) as exc:
            self._pos = -1  # unknown: rewind before the next read
            raise AudioError(
                self.path,
                f"audio data between {a / self.info.sample_rate:.2f} s and "
                f"{b / self.info.sample_rate:.2f} s is damaged and cannot be decoded "
                f"(decoder says: {getattr(exc, 'error_string', None) or exc})",
            ) from None
        if self._may_be_non_finite:
            data = zero_non_finite(data)
        return data, a

    def _whole_decode(self) -> np.ndarray:
        if self._whole is None:
            f = self._handle()
            frames = self.info.frames if hasattr(self, "info") else f.frames
            if frames * f.channels * 4 > MP3_MAX_BYTES:  # never true for cached Ogg
                raise AudioError(
                    self.path,
                    f"MP3 too long to read here ({frames / f.samplerate / 60:.0f} min): "
                    "convert it to FLAC or WAV, which can be read piece by piece",
                )
            try:
                f.seek(0)
                with caught_decoder_notes(f.format == "MP3"):
                    self._whole = f.read(dtype="float32", always_2d=True)
            except (RuntimeError, ValueError) as exc:
                raise AudioError(
                    self.path,
                    "audio data is damaged and cannot be decoded "
                    f"(decoder says: {getattr(exc, 'error_string', None) or exc})",
                ) from None
        return self._whole

    def _advance_to(self, frame: int) -> None:
        f = self._handle()
        if frame < self._pos or self._pos < 0:
            self._rewind()
        remaining = frame - self._pos
        if remaining <= 0:
            return
        buf = np.empty((min(_BLOCK, remaining), f.channels), dtype="float32")
        while remaining > 0:
            step = min(len(buf), remaining)
            n = len(f.read(step, dtype="float32", always_2d=True, out=buf[:step]))
            self._pos += n
            remaining -= n
            if n < step:
                break

    def _rewind(self) -> None:
        try:
            self._handle().seek(0)
        except (RuntimeError, ValueError):
            # A decoder that hit damage may refuse to seek at all: start over with a fresh one.
            self.close()
            self._sf = open_soundfile(self.path)
        self._pos = 0

    def _handle(self) -> sf.SoundFile:
        if self._sf is None:
            raise ValueError(f"{self.path}: audio file is closed")
        return self._sf

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._sf is not None:
            try:
                self._sf.close()
            finally:
                self._sf = None
                self._whole = None

    def __enter__(self) -> AudioFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    def __repr__(self) -> str:
        return f"AudioFile({str(self.path)!r})"


def _pick(data: np.ndarray, channel: int | None) -> np.ndarray:
    if data.shape[1] == 1:
        mono = data[:, 0]
    elif channel is None:
        mono = data.mean(axis=1, dtype=np.float32)
    else:
        mono = data[:, channel]
    return np.ascontiguousarray(mono, dtype=np.float32)


def resampling_margin(native: int, rate: int) -> int:
    """Native frames of real context to read on each side of a span before resampling it, so
    the filter sees neighbours rather than a cliff at the edges and a span resamples to the same
    samples as the same stretch of a longer read (clip images rely on it, bit for bit)."""
    return 0 if rate == native else math.ceil(64 * native / min(native, rate))


def resample_span(buf: np.ndarray, native: int, rate: int, margin: int, n_out: int) -> np.ndarray:
    """``buf`` holds margin + span + margin native frames; returns the span's ``n_out`` samples
    at ``rate`` (zero-filled if the resampler gives fewer)."""
    resampled = resample(buf, native, rate)
    offset = round(margin * rate / native)
    out = np.zeros(n_out, dtype=np.float32)
    piece = resampled[offset : offset + n_out]
    out[: len(piece)] = piece
    return out


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """``x`` at ``rate_out``: soxr's high quality, output sample 0 at input sample 0."""
    import soxr

    if len(x) == 0:
        return x
    return np.asarray(soxr.resample(x, rate_in, rate_out, quality="HQ"), dtype=np.float32)


def _metadata(f: sf.SoundFile) -> dict[str, str]:
    try:
        return dict(f.copy_metadata())
    except (RuntimeError, AttributeError, ValueError):
        return {}


def _with_warning(info: AudioInfo, text: str) -> AudioInfo:
    from dataclasses import replace

    return replace(info, warning="; ".join(w for w in (info.warning, text) if w))


def probe(path: str | Path, *, allow_truncated: bool = True) -> AudioInfo:
    """Open, inspect and close: sample rate, channels, length and start time of a recording.

    ``warning`` says what is wrong with a file that still opens: cut short (the readable part
    is used), or NaN/infinite samples in a float file (their share; they are not scored)."""
    with AudioFile(path, allow_truncated=allow_truncated) as f:
        damage = f.damage()
        if not damage:
            return f.info
        if damage.bad == damage.total:
            raise AudioError(f.path, "every sample is NaN or infinite: there is no sound to use")
        return _with_warning(f.info, damage.describe())


def read_span(
    path: str | Path, start: float, duration: float, *, allow_truncated: bool = True, **kw: Any
) -> np.ndarray:
    """One-off read (opens and closes the file); keep an AudioFile for repeated reads."""
    with AudioFile(path, allow_truncated=allow_truncated) as f:
        return f.read(start, duration, **kw)
