namespace ResearchKit.Losses;

/// <summary>
/// Base of every registered loss's hyperparameter record. A config holds exactly one of them (the chosen loss's), and
/// <see cref="LossRegistry.For(LossOptions)"/> finds the loss by the record's type, so no enum of loss kinds exists.
/// </summary>
public abstract record LossOptions;
