"""Planted bugs of a6_gan: each is one classic mistake, as an edit of the reference, with the
task that must lose points and the name the feedback must give it (tests/test_planted.py).
Every misconception the feedback knows (assignments/a6_gan/misconceptions.py) has one here.

Each entry: name -> ([(old text, new text[, times it occurs]), ...], task).
"""

D_LOSS = "    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()"
G_NON_SATURATING, G_MINIMAX = "        return F.softplus(-fake_logits).mean()", "    return -F.softplus(fake_logits).mean()"
D_STEP = "        opt_D.zero_grad()\n        d_loss.backward()\n        opt_D.step()"
G_STEP = "    opt_G.zero_grad()\n    g_loss.backward()  # fills D's gradients too: D's next step clears them first\n    opt_G.step()"

PLANTED = {
    # the discriminator's loss
    "d_loss_log_of_sigmoid": ([(D_LOSS, "    return -torch.log(torch.sigmoid(real_logits)).mean() - "
                                        "torch.log(1 - torch.sigmoid(fake_logits)).mean()")], "discriminator_loss"),
    "d_loss_labels_swapped": ([(D_LOSS, "    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()")],
                              "discriminator_loss"),
    "d_loss_sign_flipped": ([(D_LOSS, "    return -(F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean())")],
                            "discriminator_loss"),
    "d_loss_summed": ([(D_LOSS, "    return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()")],
                      "discriminator_loss"),
    "d_loss_one_mean_over_both": ([(D_LOSS, "    return torch.cat([F.softplus(-real_logits).flatten(), "
                                            "F.softplus(fake_logits).flatten()]).mean()")], "discriminator_loss"),
    # the generator's loss
    "g_loss_log_of_sigmoid": ([(G_NON_SATURATING, "        return -torch.log(torch.sigmoid(fake_logits)).mean()"),
                               (G_MINIMAX, "    return torch.log(1 - torch.sigmoid(fake_logits)).mean()")],
                              "generator_loss"),
    "g_loss_forms_swapped": ([("    if non_saturating:\n        return F.softplus(",
                               "    if not non_saturating:\n        return F.softplus(")], "generator_loss"),
    "g_loss_minimax_sign_flipped": ([(G_MINIMAX, "    return F.softplus(fake_logits).mean()")], "generator_loss"),
    # the optimal discriminator
    "optimal_discriminator_inverted": ([("        return torch.where(total > 0, p_data / safe,",
                                         "        return torch.where(total > 0, p_g / safe,"),
                                        ("    return np.divide(p_data, total,", "    return np.divide(p_g, total,")],
                                       "optimal_discriminator"),
    "optimal_discriminator_nan_where_both_zero": ([("        return torch.where(total > 0, p_data / safe, "
                                                    "torch.full_like(total, 0.5))", "        return p_data / total"),
                                                   ("    return np.divide(p_data, total, out=out, where=total > 0)",
                                                    "    return p_data / total")], "optimal_discriminator"),
    # Algorithm 1
    "zero_grad_missing": ([("        opt_D.zero_grad()\n", ""), ("    opt_G.zero_grad()\n", "")], "gan_training_step"),
    "d_grads_leak_from_g_step": ([(D_STEP, "        d_loss.backward()\n        opt_D.step()\n        opt_D.zero_grad()")],
                                 "gan_training_step"),
    "g_grads_leak_from_d_step": ([("        fake = G(z).detach()", "        fake = G(z)"),
                                  (G_STEP, "    g_loss.backward()\n    opt_G.step()\n    opt_G.zero_grad()")],
                                 "gan_training_step"),
    "noise_reused": ([("    z = sample_noise()\n    g_loss = ", "    g_loss = ")], "gan_training_step"),
    "samplers_out_of_order": ([("        x = sample_real()\n        z = sample_noise()",
                                "        z = sample_noise()\n        x = sample_real()")], "gan_training_step"),
    "k_ignored": ([("    for _ in range(k):", "    for _ in range(1):")], "gan_training_step"),
    "generator_form_ignored": ([("    g_loss = generator_loss(D(G(z)), non_saturating)",
                                "    g_loss = generator_loss(D(G(z)))")],
                               "gan_training_step"),
    "first_d_loss_returned": ([("        d_loss = discriminator_loss(D(x), D(fake))",
                                "        d_loss = discriminator_loss(D(x), D(fake))\n"
                                "        first = d_loss if _ == 0 else first"),
                               ('return {"d_loss": d_loss.item()', 'return {"d_loss": first.item()')],
                              "gan_training_step"),
    "d_stepped_on_g_loss": ([("    opt_G.step()\n    return", "    opt_G.step()\n    opt_D.step()\n    return")],
                            "gan_training_step"),
}
