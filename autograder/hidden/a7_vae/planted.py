"""Planted bugs of a7_vae: each is one classic mistake, as an edit of the reference, with the
task that must lose points and the name the feedback must give it (tests/test_planted.py).
Every misconception the feedback knows (assignments/a7_vae/misconceptions.py) has one here.

Each entry: name -> ([(old text, new text[, times it occurs]), ...], task).
"""

Z = "    return mu + sigma * eps  # (N, latent)"
KL = "    return -0.5 * per_dim.sum(dim=1)  # (N,)"
BCE = '        per_value = F.binary_cross_entropy_with_logits(x_out, x, reduction="none")  # never forms sigmoid'
SUM = "    return per_value.flatten(1).sum(dim=1)  # (N,): every non-batch axis summed"
ELBO = "    per_sample = reconstruction_loss(x_out, x, likelihood) + beta * kl_standard_normal(mu, logvar)  # (N,)"
ZERO_GRAD = "\n    optimizer.zero_grad()  # clear what the previous step left in .grad\n"
STEP_LOSS = "    loss = negative_elbo(x, x_out, mu, logvar, beta, likelihood)" + ZERO_GRAD

PLANTED = {
    # reparameterize
    "reparameterize_std_is_exp_logvar": ([("    sigma = torch.exp(0.5 * logvar)", "    sigma = torch.exp(logvar)")],
                                         "reparameterize"),
    "reparameterize_logvar_as_std": ([("    sigma = torch.exp(0.5 * logvar)", "    sigma = logvar")], "reparameterize"),
    "reparameterize_eps_ignored": ([(Z, "    return mu + 0 * sigma")], "reparameterize"),
    "reparameterize_not_differentiable": ([(Z, "    return (mu + sigma * eps).detach()")], "reparameterize"),
    # the KL
    "kl_sign_flipped": ([(KL, "    return 0.5 * per_dim.sum(dim=1)")], "kl_standard_normal"),
    "kl_half_missing": ([(KL, "    return -per_dim.sum(dim=1)")], "kl_standard_normal"),
    "kl_mean_over_latent": ([(KL, "    return -0.5 * per_dim.mean(dim=1)")], "kl_standard_normal"),
    "kl_logvar_read_as_log_std": ([("    per_dim = 1 + logvar - mu ** 2 - torch.exp(logvar)",
                                    "    per_dim = 1 + 2 * logvar - mu ** 2 - torch.exp(2 * logvar)")],
                                  "kl_standard_normal"),
    "kl_reduced_over_batch": ([(KL, "    return -0.5 * per_dim.sum()")], "kl_standard_normal"),
    # the reconstruction term
    "reconstruction_log_of_sigmoid": ([(BCE, "        p = torch.sigmoid(x_out)\n"
                                             "        per_value = -(x * torch.log(p) + (1 - x) * torch.log(1 - p))")],
                                      "reconstruction_loss"),
    "reconstruction_mean_over_values": ([(SUM, "    return per_value.flatten(1).mean(dim=1)")], "reconstruction_loss"),
    "reconstruction_reduced_over_batch": ([(BCE, '        per_value = F.binary_cross_entropy_with_logits(x_out, x)'),
                                           ("        per_value = 0.5 * (x - x_out) ** 2",
                                            "        per_value = 0.5 * F.mse_loss(x_out, x)"),
                                           (SUM, "    return per_value")], "reconstruction_loss"),
    "reconstruction_gaussian_half_missing": ([("        per_value = 0.5 * (x - x_out) ** 2",
                                               "        per_value = (x - x_out) ** 2")], "reconstruction_loss"),
    "reconstruction_likelihood_ignored": ([('    if likelihood == "bernoulli":', "    if True:")], "reconstruction_loss"),
    "reconstruction_arguments_swapped": ([(BCE, '        per_value = F.binary_cross_entropy_with_logits(x, x_out, '
                                                'reduction="none")')], "reconstruction_loss"),
    # the negative ELBO
    "elbo_kl_subtracted": ([(ELBO, ELBO.replace("+ beta *", "- beta *"))], "negative_elbo"),
    "elbo_beta_ignored": ([(ELBO, ELBO.replace("+ beta *", "+"))], "negative_elbo"),
    "elbo_beta_on_reconstruction": ([(ELBO, "    per_sample = beta * reconstruction_loss(x_out, x, likelihood) + "
                                            "kl_standard_normal(mu, logvar)")], "negative_elbo"),
    "elbo_summed_over_batch": ([("    return per_sample.mean()", "    return per_sample.sum()")], "negative_elbo"),
    "elbo_not_negated": ([("    return per_sample.mean()", "    return -per_sample.mean()")], "negative_elbo"),
    # the training step
    "vae_step_zero_grad_missing": ([(ZERO_GRAD, "\n")],
                                   "vae_training_step"),
    "vae_step_std_is_exp_logvar": ([("    sigma = torch.exp(0.5 * logvar)", "    sigma = torch.exp(logvar)")],
                                   "vae_training_step"),  # via reparameterize
    "vae_step_eps_ignored": ([("    x_out = model.decode(z)", "    x_out = model.decode(mu)")], "vae_training_step"),
    "vae_step_kl_sign_flipped": ([(KL, "    return 0.5 * per_dim.sum(dim=1)")], "vae_training_step"),  # via the KL
    "vae_step_beta_ignored": ([(STEP_LOSS, "    loss = negative_elbo(x, x_out, mu, logvar, likelihood=likelihood)" + ZERO_GRAD)],
                              "vae_training_step"),
    "vae_step_likelihood_ignored": ([(STEP_LOSS, "    loss = negative_elbo(x, x_out, mu, logvar, beta)" + ZERO_GRAD)],
                                    "vae_training_step"),
    "vae_step_summed_over_batch": ([(STEP_LOSS, "    loss = negative_elbo(x, x_out, mu, logvar, beta, likelihood) * "
                                                "len(x)" + ZERO_GRAD)], "vae_training_step"),
}
