"""The fixed parts of the PyTorch script that :mod:`core.io.torch_codegen` writes: helper functions and modules
(each included only where a layer needs it), the weight converters between Keras's layout and PyTorch's (one
branch per kind of layer the design has), and the training and command-line part.

The texts are plain Python; ``@NAME@`` marks what the generator fills in.
"""

from __future__ import annotations

HELPERS = {
    "channels": '''def first(x):
    """Channels-last (batch, ..., channels), the layout between layers, to PyTorch's channels-first."""
    return x.movedim(-1, 1)


def last(x):
    """Channels-first back to channels-last."""
    return x.movedim(1, -1)''',
    "average_pool": '''def average_pool(pool, x, pads):
    """Keras's average pooling with padding: the mean over the window's positions inside the input."""
    ones = torch.ones_like(x[:1, :1])
    return pool(F.pad(x, pads)) / pool(F.pad(ones, pads))''',
    "identity": '''def identity(x):
    return x''',
    "softmax": '''def softmax(x):
    return torch.softmax(x, dim=-1)''',
    "leaky_relu": '''def leaky_relu(x):
    return F.leaky_relu(x, 0.2)''',
    "hard_sigmoid_tf2": '''def hard_sigmoid_tf2(x):
    """tf.keras 2's hard sigmoid."""
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)''',
    "GaussianNoise": '''class GaussianNoise(nn.Module):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training; nothing at inference."""

    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + self.stddev * torch.randn_like(x) if self.training else x''',
    "GaussianDropout": '''class GaussianDropout(nn.Module):
    """Multiplies by Gaussian noise of mean 1 and variance rate / (1 - rate) in training; nothing at inference."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if not self.training or self.rate == 0:
            return x
        return x * (1.0 + (self.rate / (1.0 - self.rate)) ** 0.5 * torch.randn_like(x))''',
    "KerasRecurrent": '''class KerasRecurrent(nn.Module):
    """A Keras SimpleRNN, GRU or LSTM step by step, with Keras's weights (kernel, recurrent_kernel, bias), gate
    order (GRU: z, r, h; LSTM: i, f, c, o) and activations, for the forms PyTorch's fused layers lack.
    Input (batch, steps, features); output (batch, steps, units)."""

    def __init__(self, kind, features, units, activation, recurrent_activation=None, reset_after=True,
                 use_bias=True):
        super().__init__()
        gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[kind]
        self.kind, self.units, self.reset_after = kind, units, reset_after
        self.activation, self.recurrent_activation = activation, recurrent_activation
        self.kernel = nn.Parameter(torch.zeros(features, gates * units))
        self.recurrent_kernel = nn.Parameter(torch.zeros(units, gates * units))
        shape = (2, gates * units) if kind == "GRU" and reset_after else (gates * units,)
        self.bias = nn.Parameter(torch.zeros(shape)) if use_bias else None

    def forward(self, x):
        n, gates = self.units, self.kernel.shape[1]
        bias = self.bias.reshape(-1, gates) if self.bias is not None else x.new_zeros(2, gates)
        inputs = x @ self.kernel + bias[0]
        h = c = x.new_zeros(x.shape[0], n)
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.step(inputs[:, t], h, c, bias[-1])
            outputs.append(h)
        return torch.stack(outputs, dim=1)

    def step(self, xt, h, c, recurrent_bias):
        n, act, gate = self.units, self.activation, self.recurrent_activation
        if self.kind == "SimpleRNN":
            return act(xt + h @ self.recurrent_kernel), c
        if self.kind == "LSTM":
            i, f, candidate, o = (xt + h @ self.recurrent_kernel).split(n, dim=1)
            c = gate(f) * c + gate(i) * act(candidate)
            return gate(o) * act(c), c
        xz, xr, xh = xt.split(n, dim=1)
        if self.reset_after:
            hz, hr, hh = (h @ self.recurrent_kernel + recurrent_bias).split(n, dim=1)
            z, r = gate(xz + hz), gate(xr + hr)
            candidate = act(xh + r * hh)
        else:
            uz, ur, uh = self.recurrent_kernel.split(n, dim=1)
            z, r = gate(xz + h @ uz), gate(xr + h @ ur)
            candidate = act(xh + (r * h) @ uh)
        return z * h + (1 - z) * candidate, c''',
}

GRU_ORDER = '''def gru_gates(a):
    """Keras's GRU gates (z, r, h) in PyTorch's order (r, z, n) along the last axis, and back."""
    z, r, h = np.split(a, 3, axis=-1)
    return np.concatenate([r, z, h], axis=-1)'''

FROM_KERAS = {
    "linear": '''    if kind == "linear":
        return {"weight": w["kernel"].T, "bias": w.get("bias")}''',
    "conv": '''    if kind == "conv":  # (kernel..., in, out) -> (out, in, kernel...); a transposed one: (in, out, ...)
        k = w["kernel"]
        return {"weight": k.transpose(k.ndim - 1, k.ndim - 2, *range(k.ndim - 2)), "bias": w.get("bias")}''',
    "conv_transpose": '''    if kind == "conv_transpose":  # (kernel..., out, in) -> (in, out, kernel...)
        k = w["kernel"]
        return {"weight": k.transpose(k.ndim - 1, k.ndim - 2, *range(k.ndim - 2)), "bias": w.get("bias")}''',
    "batch_norm": '''    if kind == "batch_norm":
        return {"weight": w.get("gamma"), "bias": w.get("beta"), "running_mean": w["moving_mean"],
                "running_var": w["moving_variance"]}''',
    "layer_norm": '''    if kind == "layer_norm":
        return {"weight": w.get("gamma"), "bias": w.get("beta")}''',
    "lstm": '''    if kind in ("lstm", "rnn"):  # the same gate order (i, f, c, o); one bias in Keras, two in PyTorch
        bias = w.get("bias")
        return {"weight_ih_l0": w["kernel"].T, "weight_hh_l0": w["recurrent_kernel"].T, "bias_ih_l0": bias,
                "bias_hh_l0": None if bias is None else np.zeros_like(bias)}''',
    "gru": '''    if kind == "gru":
        bias = w.get("bias")
        return {"weight_ih_l0": gru_gates(w["kernel"]).T, "weight_hh_l0": gru_gates(w["recurrent_kernel"]).T,
                "bias_ih_l0": None if bias is None else gru_gates(bias[0]),
                "bias_hh_l0": None if bias is None else gru_gates(bias[1])}''',
    "keras": '''    if kind == "keras":
        return dict(w)''',
}

TO_KERAS = {
    "linear": '''    if kind == "linear":
        return {"kernel": p["weight"].T, "bias": p.get("bias")}''',
    "conv": '''    if kind in ("conv", "conv_transpose"):
        k = p["weight"]
        return {"kernel": k.transpose(*range(2, k.ndim), 1, 0), "bias": p.get("bias")}''',
    "batch_norm": '''    if kind == "batch_norm":
        return {"gamma": p.get("weight"), "beta": p.get("bias"), "moving_mean": p["running_mean"],
                "moving_variance": p["running_var"]}''',
    "layer_norm": '''    if kind == "layer_norm":
        return {"gamma": p.get("weight"), "beta": p.get("bias")}''',
    "lstm": '''    if kind in ("lstm", "rnn"):
        bias = None if p.get("bias_ih_l0") is None else p["bias_ih_l0"] + p["bias_hh_l0"]
        return {"kernel": p["weight_ih_l0"].T, "recurrent_kernel": p["weight_hh_l0"].T, "bias": bias}''',
    "gru": '''    if kind == "gru":
        bias = None if p.get("bias_ih_l0") is None else np.stack([gru_gates(p["bias_ih_l0"]),
                                                                  gru_gates(p["bias_hh_l0"])])
        return {"kernel": gru_gates(p["weight_ih_l0"].T), "recurrent_kernel": gru_gates(p["weight_hh_l0"].T),
                "bias": bias}''',
    "keras": '''    if kind == "keras":
        return dict(p)''',
}
ALIASES = {"rnn": "lstm", "conv_transpose": "conv"}  # kinds whose TO_KERAS branch another kind's covers

WEIGHTS_IO = '''def from_keras(kind, w):
    """A module's tensors (by PyTorch name) from Keras's arrays ``w`` (by Keras weight name)."""
@FROM@
    raise ValueError(f"unknown kind of weights {kind!r}")


def to_keras(kind, p):
    """Keras's arrays (by Keras weight name) from a module's tensors ``p`` (by PyTorch name, as NumPy arrays)."""
@TO@
    raise ValueError(f"unknown kind of weights {kind!r}")


def build_model():
    """The network, with the tensors that the Keras layer lacks (a normalisation without scale or centre) fixed
    at their neutral value."""
    model = Net()
    for attribute, kind, names in KERAS_WEIGHTS.values():
        module = getattr(model, attribute)
        for torch_name, keras_name in (("weight", "gamma"), ("bias", "beta")):
            if kind in ("batch_norm", "layer_norm") and keras_name not in names:
                tensor = getattr(module, torch_name, None)
                if tensor is not None:
                    tensor.requires_grad_(False)
    return model


def read_keras_weights(path):
    """{layer name: {weight name: array}} from a NeuroCanvas or Keras .h5 file (its model_weights group)."""
    out = {}
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        for layer in KERAS_WEIGHTS:
            g = group[layer]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in g.attrs["weight_names"]]
            out[layer] = {n.split("/")[-1].split(":")[0]: np.asarray(g[n], dtype="float32") for n in names}
    return out


def load_keras_weights(model, path):
    """Load the weights of the .h5 file at ``path`` into ``model`` (every shape checked)."""
    for layer, arrays in read_keras_weights(path).items():
        attribute, kind, names = KERAS_WEIGHTS[layer]
        module = getattr(model, attribute)
        with torch.no_grad():
            for name, value in from_keras(kind, arrays).items():
                if value is None:
                    continue
                target = getattr(module, name)
                if tuple(target.shape) != value.shape:
                    raise ValueError(f"{layer}: {name} has shape {value.shape}, the module's is {tuple(target.shape)}")
                target.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def keras_weights(model):
    """Every weight in Keras's layout: a list of (layer name, weight name, array) in the file's order."""
    out = []
    for layer, (attribute, kind, names) in KERAS_WEIGHTS.items():
        module = getattr(model, attribute)
        tensors = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
        arrays = to_keras(kind, tensors)
        out += [(layer, name, np.asarray(arrays[name], dtype="float32")) for name in names]
    return out'''

TRAINING = '''def train(data=None, epochs=EPOCHS, batch_size=BATCH_SIZE, validation_split=VALIDATION_SPLIT, resume=False):
    """Train as the design's run did, on one process or under torchrun (DistributedDataParallel, one batch of
    ``batch_size`` shared among the processes); rank 0 keeps a checkpoint after each epoch and writes the
    trained weights and the run's history to TRAINED at the end."""
    if not TRAINABLE:
        raise SystemExit("this script trains a network of one input and one output only; it predicts with any")
    distributed = "WORLD_SIZE" in os.environ
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(SEED)
    x, y = load_data(data)
    cut = len(x) - int(len(x) * validation_split)  # Keras's validation split: the last samples
    train_set = TensorDataset(torch.from_numpy(x[:cut]), torch.from_numpy(y[:cut]))
    model = build_model()
    if os.path.exists(WEIGHTS):
        load_keras_weights(model, WEIGHTS)
    model.to(device)
    net = DDP(model, device_ids=[device.index] if cuda else None) if distributed else model
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=SEED) \\
        if distributed else None
    loader = DataLoader(train_set, batch_size=max(1, batch_size // world), shuffle=sampler is None,
                        sampler=sampler)
    optimizer = make_optimizer(model.parameters())
    steps = len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: learning_rate(step, steps, epochs) / RATE)
    history, start = {"epoch": []}, 0
    if resume and os.path.exists(CHECKPOINT):
        state = torch.load(CHECKPOINT, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, start = state["history"], state["epoch"] + 1
    for epoch in range(start, epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        rate = optimizer.param_groups[0]["lr"]
        logs = run_epoch(net, model, loader, optimizer, scheduler, device, distributed)
        if cut < len(x):
            logs.update(evaluate(model, x[cut:], y[cut:], device))
        logs["learning_rate"] = rate
        history["epoch"].append(epoch)
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        if rank == 0:
            print(f"epoch {epoch + 1}/{epochs}: " + ", ".join(f"{k} {v:.4g}" for k, v in logs.items()), flush=True)
            torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "history": history}, CHECKPOINT)
    if rank == 0:
        save_trained(model, history, TRAINED, {"epochs": epochs, "batch_size": batch_size,
                                               "validation_split": validation_split, "processes": world})
    if distributed:
        dist.destroy_process_group()
    return history


def run_epoch(net, model, loader, optimizer, scheduler, device, distributed):
    """One pass over this process's share of the data; the loss (and accuracy) averaged over all processes."""
    net.train()
    totals = torch.zeros(3, dtype=torch.float64)
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        output = net(xb)
        loss = loss_fn(output, yb)
        (loss + model.penalty()).backward()
        clip_gradients(model)
        optimizer.step()
        scheduler.step()
        totals += torch.tensor([loss.item() * len(xb), correct(output.detach(), yb), len(xb)], dtype=torch.float64)
    if distributed:
        dist.all_reduce(totals)
    logs = {"loss": float(totals[0] / totals[2])}
    if "accuracy" in METRICS:
        logs["accuracy"] = float(totals[1] / totals[2])
    return logs


@torch.no_grad()
def evaluate(model, x, y, device):
    """Loss (and accuracy) on the validation samples."""
    model.eval()
    output = model(torch.from_numpy(x).to(device))
    target = torch.from_numpy(y).to(device)
    logs = {"val_loss": float(loss_fn(output, target))}
    if "accuracy" in METRICS:
        logs["val_accuracy"] = correct(output, target) / len(x)
    return logs


def correct(output, target):
    """How many outputs name the right class (0 for a regression)."""
    if TARGETS == "labels":
        return int((output.argmax(-1) == target).sum())
    if TARGETS == "one_hot":
        return int((output.argmax(-1) == target.argmax(-1)).sum())
    if TARGETS == "binary":
        return int(((output > 0.5).float() == target).sum())
    return 0


def save_trained(model, history, path, settings):
    """The trained weights in Keras's layout and the run's history, for ``neurocanvas import-weights``."""
    weights = keras_weights(model)
    manifest = {"format": "neurocanvas-torch-weights", "version": 1, "model": MODEL_NAME,
                "weights": [[layer, name] for layer, name, _ in weights], "history": history,
                "settings": {**RUN_SETTINGS, **settings}}
    arrays = {f"weight_{k}": array for k, (_, _, array) in enumerate(weights)}
    np.savez(path, manifest=np.array(json.dumps(manifest)), **arrays)
    print(f"trained weights: {path}", flush=True)


@torch.no_grad()
def predict(x):
    """The network's outputs for the inputs ``x`` (NumPy arrays, channels-last), with the .h5 weights."""
    model = build_model()
    load_keras_weights(model, WEIGHTS)
    model.eval()
    out = model(*(torch.from_numpy(np.asarray(a, dtype="float32")) for a in x))
    return [o.numpy() for o in out] if isinstance(out, tuple) else [out.numpy()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="?", const="", metavar="DATA", help="train (on DATA, default: the run's)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--predict", nargs=2, metavar=("IN.npz", "OUT.npz"),
                        help="outputs y0, y1, ... for inputs x0, x1, ... (or x)")
    parser.add_argument("--save-state-dict", metavar="PATH", help="save the .h5 weights as a PyTorch state_dict")
    args = parser.parse_args()
    if args.predict:
        with np.load(args.predict[0]) as data:
            x = [data["x"]] if "x" in data else [data[f"x{k}"] for k in range(len(data.files))]
        np.savez(args.predict[1], **{f"y{k}": y for k, y in enumerate(predict(x))})
    elif args.save_state_dict:
        model = build_model()
        load_keras_weights(model, WEIGHTS)
        torch.save(model.state_dict(), args.save_state_dict)
    elif args.train is not None:
        train(args.train or None, args.epochs, args.batch_size, resume=args.resume)
    else:
        print(build_model())


if __name__ == "__main__":
    main()'''
