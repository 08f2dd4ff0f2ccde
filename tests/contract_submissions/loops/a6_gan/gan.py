"""a6_gan: GAN losses and one step of Algorithm 1 (Goodfellow et al., 2014).

Style "plain": losses are derived from first principles with elementwise torch ops.

D outputs logits l, with D(x) = sigmoid(l).  The two log-terms are written with the
numerically stable softplus

    softplus(t) = log(1 + exp(t)) = log1p(exp(-|t|)) + (t + |t|) / 2,

which never exponentiates a positive number, so logits of any magnitude give finite
values and finite gradients:

    -log D(x)        = -log sigmoid(l)     = softplus(-l)
    -log(1 - D(x))   = -log sigmoid(-l)    = softplus(l)
"""

import numpy as np
import torch


# --------------------------------------------------------------------------- helpers
def _as_float_tensor(x, name):
    """Return `x` as a floating-point tensor without modifying it (dtype is kept)."""
    if not torch.is_tensor(x):
        try:
            x = torch.as_tensor(x)
        except Exception as exc:  # pragma: no cover - defensive
            raise ValueError(f"{name} must be a tensor of logits") from exc
    if not torch.is_floating_point(x):
        x = x.to(torch.get_default_dtype())
    return x


def _softplus(t):
    """log(1 + exp(t)), stable for any magnitude of t (only exp of -|t| is taken)."""
    a = torch.abs(t)
    return torch.log1p(torch.exp(-a)) + 0.5 * (t + a)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return bool(value)


# --------------------------------------------------------------------------- losses
def discriminator_loss(real_logits, fake_logits):
    """mean(-log D(x)) + mean(-log(1 - D(G(z)))) as a scalar tensor."""
    real_logits = _as_float_tensor(real_logits, "real_logits")
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    if real_logits.numel() == 0:
        raise ValueError("real_logits must not be empty")
    if fake_logits.numel() == 0:
        raise ValueError("fake_logits must not be empty")
    loss_real = _softplus(-real_logits).mean()   # -log sigmoid(l_real)
    loss_fake = _softplus(fake_logits).mean()    # -log(1 - sigmoid(l_fake))
    return loss_real + loss_fake


def generator_loss(fake_logits, non_saturating=True):
    """Non-saturating mean(-log D(G(z))) or minimax mean(log(1 - D(G(z))))."""
    non_saturating = _check_bool(non_saturating, "non_saturating")
    fake_logits = _as_float_tensor(fake_logits, "fake_logits")
    if fake_logits.numel() == 0:
        raise ValueError("fake_logits must not be empty")
    if non_saturating:
        return _softplus(-fake_logits).mean()    # -log sigmoid(l)
    return (-_softplus(fake_logits)).mean()      # log(1 - sigmoid(l)) = -softplus(l)


# --------------------------------------------------------------------------- D*
def optimal_discriminator(p_data, p_g):
    """Elementwise p_data / (p_data + p_g); 0.5 where both densities are 0.

    numpy arrays in -> numpy array out; tensors in -> tensor out.
    """
    use_torch = torch.is_tensor(p_data) or torch.is_tensor(p_g)
    if use_torch:
        ref = p_data if torch.is_tensor(p_data) else p_g
        pd = p_data if torch.is_tensor(p_data) else torch.as_tensor(p_data, device=ref.device)
        pg = p_g if torch.is_tensor(p_g) else torch.as_tensor(p_g, device=ref.device)
        if not torch.is_floating_point(pd) and not torch.is_floating_point(pg):
            pd = pd.to(torch.get_default_dtype())
            pg = pg.to(torch.get_default_dtype())
        dtype = torch.promote_types(pd.dtype, pg.dtype)
        pd = pd.to(dtype)
        pg = pg.to(dtype)
        if bool((pd < 0).any()):
            raise ValueError("p_data must be non-negative (it is a density)")
        if bool((pg < 0).any()):
            raise ValueError("p_g must be non-negative (it is a density)")
        denom = pd + pg
        zero = denom == 0
        safe = torch.where(zero, torch.ones_like(denom), denom)
        half = torch.full_like(denom, 0.5)
        return torch.where(zero, half, pd / safe)

    pd = np.asarray(p_data)
    pg = np.asarray(p_g)
    if not np.issubdtype(pd.dtype, np.number) or np.issubdtype(pd.dtype, np.complexfloating):
        raise ValueError("p_data must be a real-valued numeric array")
    if not np.issubdtype(pg.dtype, np.number) or np.issubdtype(pg.dtype, np.complexfloating):
        raise ValueError("p_g must be a real-valued numeric array")
    dtype = np.result_type(pd.dtype, pg.dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    pd = pd.astype(dtype, copy=True)
    pg = pg.astype(dtype, copy=True)
    if np.any(pd < 0):
        raise ValueError("p_data must be non-negative (it is a density)")
    if np.any(pg < 0):
        raise ValueError("p_g must be non-negative (it is a density)")
    denom = pd + pg
    zero = denom == 0
    safe = np.where(zero, np.ones_like(denom), denom)
    out = np.where(zero, np.asarray(0.5, dtype=dtype), pd / safe)
    return np.asarray(out, dtype=dtype)


# --------------------------------------------------------------------------- training
def _module_device(module):
    for p in module.parameters():
        return p.device
    for b in module.buffers():
        return b.device
    return None


def _to_device(t, device):
    if device is not None and torch.is_tensor(t) and t.device != device:
        return t.to(device)
    return t


def gan_training_step(G, D, opt_G, opt_D, sample_real, sample_noise, k=1,
                      non_saturating=True):
    """One iteration of Algorithm 1: k discriminator steps, then one generator step."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be a positive integer, got {k!r}")
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    non_saturating = _check_bool(non_saturating, "non_saturating")

    d_device = _module_device(D)
    g_device = _module_device(G)

    d_loss_value = None
    for _ in range(k):
        x = sample_real()
        z = sample_noise()
        x = _to_device(x, d_device)
        z = _to_device(z, g_device)
        opt_D.zero_grad()
        D.zero_grad()
        fake = G(z).detach()                      # no gradient flows into G
        fake = _to_device(fake, d_device)
        d_loss = discriminator_loss(D(x), D(fake))
        d_loss.backward()
        opt_D.step()
        d_loss_value = float(d_loss.detach().item())

    z = sample_noise()
    z = _to_device(z, g_device)
    # Freeze D while the generator learns so no gradient lands on D's parameters.
    d_params = list(D.parameters())
    saved = [p.requires_grad for p in d_params]
    try:
        for p in d_params:
            p.requires_grad_(False)
        opt_G.zero_grad()
        G.zero_grad()
        fake = G(z)
        fake = _to_device(fake, d_device)
        g_loss = generator_loss(D(fake), non_saturating)
        g_loss.backward()
        opt_G.step()
    finally:
        for p, flag in zip(d_params, saved):
            p.requires_grad_(flag)
    g_loss_value = float(g_loss.detach().item())

    return dict(d_loss=d_loss_value, g_loss=g_loss_value)
