from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _

from scoring.ml import rules
from scoring.ml.risk import render_improvement, render_reason
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.reference import RISK_BANDS
from tongzhirong.financing.models import Application


class CompactJSONField(models.JSONField):
    """A JSON value stored in a compact form and rendered in full whenever it is read (through model
    instances and ``values()``; a key transform such as ``values("sub_scores__legal")`` reads the stored
    form). What a subclass cannot compact exactly it stores as given, and rows written in full read as
    they are."""

    def compact(self, value):
        return value

    def render(self, value):
        return value

    def get_prep_value(self, value):
        return super().get_prep_value(self.compact(value))

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return value if isinstance(expression, KeyTransform) else self.render(value)


class RenderedListField(CompactJSONField):
    """A JSON list whose items are stored packed: their key fields only, without JSON keys.

    The text of a reason or hint follows from its feature (``scoring.ml.risk``), so a row stores
    ``["debt_ratio", 0.0123]`` instead of the same zh/en sentences a hundred thousand times. Packed items
    carry no keys because on PostgreSQL psycopg escapes every ``"`` of a JSON value one by one when
    ``bulk_create`` sends a column as an array, in Python, so keys add work to every row of a batch
    insert. An item that does not render back to itself (text of another origin) is stored
    as it is; items stored keyed (``{"feature", "pd_impact"}``, before packing) or in full read as before."""

    keys: tuple[str, ...] = ()

    def render_item(self, item: dict) -> dict:
        raise NotImplementedError

    def pack(self, item: dict):
        """The stored form of an item given as its ``keys``."""
        raise NotImplementedError

    def unpack(self, stored) -> dict | None:
        """The ``keys`` of a packed item; None for anything else."""
        raise NotImplementedError

    def _compact(self, item):
        if not isinstance(item, dict) or not isinstance(item.get("feature"), str):
            return item
        short = {key: item.get(key) for key in self.keys}
        keyed = len(item) == len(self.keys) and all(key in item for key in self.keys)
        return self.pack(short) if keyed or self.render_item(short) == item else item

    def _expand(self, item):
        short = self.unpack(item)
        if short is not None:
            return self.render_item(short)
        if (
            isinstance(item, dict)
            and len(item) == len(self.keys)
            and isinstance(item.get("feature"), str)
            and all(key in item for key in self.keys)
        ):
            return self.render_item(item)
        return item

    def compact(self, value):
        return [self._compact(item) for item in value] if isinstance(value, list) else value

    def render(self, value):
        return [self._expand(item) for item in value] if isinstance(value, list) else value


class ReasonsField(RenderedListField):
    """Reasons stored as ``[feature, pd_impact]``, read with ``zh``, ``en``, ``actionable`` and hints."""

    keys = ("feature", "pd_impact")

    def render_item(self, item: dict) -> dict:
        return render_reason(item["feature"], item["pd_impact"])

    def pack(self, item: dict):
        return [item["feature"], item["pd_impact"]]

    def unpack(self, stored) -> dict | None:
        if isinstance(stored, list) and len(stored) == 2 and isinstance(stored[0], str):
            return {"feature": stored[0], "pd_impact": stored[1]}
        return None


class ImprovementsField(RenderedListField):
    """Improvements stored as the feature's name, read with their ``zh`` and ``en`` hints."""

    keys = ("feature",)

    def render_item(self, item: dict) -> dict:
        return render_improvement(item["feature"])

    def pack(self, item: dict):
        return item["feature"]

    def unpack(self, stored) -> dict | None:
        return {"feature": stored} if isinstance(stored, str) else None


class SubScoresField(CompactJSONField):
    """Sub-scores stored as the points of each factor (``rules.sub_score_points``), read in full
    (``rules.sub_scores``): labels, maxima and scores follow from the points."""

    def compact(self, value):
        return rules.compact_sub_scores(value)

    def render(self, value):
        return rules.render_sub_scores(value)


class HighValueFlagsField(CompactJSONField):
    """High-value flags stored as the names of those raised (``rules.raised_flags``), read as the dict
    of all five (``rules.high_value_flags``)."""

    def compact(self, value):
        return rules.compact_flags(value)

    def render(self, value):
        return rules.render_flags(value)


class ModelRole(models.TextChoices):
    CHAMPION = "champion", _("Champion 冠军模型")
    CHALLENGER = "challenger", _("Challenger 挑战者模型")
    RETIRED = "retired", _("Retired 已退役")


class ModelVersion(models.Model):
    """A registered artefact under ml_models/<name>/<version>/, with its role for that name."""

    name = models.CharField(_("model name"), max_length=60)
    version = models.CharField(_("version"), max_length=60)
    kind = models.CharField(_("kind"), max_length=30)
    task = models.CharField(_("task"), max_length=30)
    sha256 = models.CharField(_("sha256 of model.skops"), max_length=64)
    metrics = models.JSONField(_("metrics"), default=dict)
    role = models.CharField(_("role"), max_length=12, choices=ModelRole.choices, default=ModelRole.CHALLENGER)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    # A bank's own pledge-risk model (trained on its data, scoring only its queue); empty for the platform's.
    bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bank (empty: the platform's model)"),
    )

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["name", "-registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="modelversion_unique"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(role="champion"), name="modelversion_one_champion_per_name"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(role="challenger"), name="modelversion_one_challenger_per_name"
            ),
            models.CheckConstraint(condition=Q(role__in=ModelRole.values), name="modelversion_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.role})"


class AssetValuation(models.Model):
    """A value range for one IP asset from one model version on one set of inputs (idempotent)."""

    # No index of their own for the two keys: the idempotency constraint's index leads with the asset,
    # then the version (see ``ApplicationScore``).
    asset = models.ForeignKey(
        IPAsset, on_delete=models.CASCADE, related_name="valuations", verbose_name=_("IP asset"), db_index=False
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+", db_index=False)
    input_hash = models.CharField(_("input hash"), max_length=64)
    inputs = models.JSONField(_("inputs"))
    p10 = models.DecimalField(_("P10 (yuan)"), max_digits=16, decimal_places=2)
    p50 = models.DecimalField(_("P50 (yuan)"), max_digits=16, decimal_places=2)
    p90 = models.DecimalField(_("P90 (yuan)"), max_digits=16, decimal_places=2)
    realisable = models.DecimalField(_("realisable value (yuan)"), max_digits=16, decimal_places=2)
    high_value_flags = HighValueFlagsField(_("high-value flags"), default=dict)
    sub_scores = SubScoresField(_("legal, technical and economic sub-scores"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("asset valuation")
        verbose_name_plural = _("asset valuations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "model_version", "input_hash"], name="assetvaluation_idempotent"),
            models.CheckConstraint(
                condition=Q(p10__gt=0) & Q(p50__gte=models.F("p10")) & Q(p90__gte=models.F("p50")),
                name="assetvaluation_ordered_range",
            ),
            models.CheckConstraint(
                condition=Q(realisable__gte=0) & Q(realisable__lte=models.F("p50")),
                name="assetvaluation_realisable_within_p50",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.p10}–{self.p90}"


class ApplicationScore(models.Model):
    """A pledge-risk score for an application from one model version on one set of inputs."""

    # No index of their own for the two keys: the idempotency constraint's index leads with the
    # application, then the version, and serves both. An index on the version alone cost every insert and
    # misled PostgreSQL: with statistics older than a batch load it read a whole version's rows through
    # it and filtered them by the batch's ids.
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="scores", verbose_name=_("application"), db_index=False
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+", db_index=False)
    input_hash = models.CharField(_("input hash"), max_length=64)
    inputs = models.JSONField(_("inputs"))
    pd = models.DecimalField(_("probability of default"), max_digits=7, decimal_places=6)
    points = models.DecimalField(_("score points"), max_digits=6, decimal_places=1)
    band = models.CharField(_("band"), max_length=1)
    reasons = ReasonsField(_("reasons"), default=list)
    improvements = ImprovementsField(_("what would improve it"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("application score")
        verbose_name_plural = _("application scores")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "model_version", "input_hash"], name="applicationscore_idempotent"
            ),
            models.CheckConstraint(condition=Q(pd__gte=0) & Q(pd__lte=1), name="applicationscore_pd_range"),
            models.CheckConstraint(condition=Q(band__in=list(RISK_BANDS)), name="applicationscore_band_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.band} ({self.pd})"


class ScoreTrigger(models.TextChoices):
    SUBMISSION = "submission", _("Scored at submission")
    BANK = "bank", _("Rescored by the bank")
    NIGHTLY = "nightly", _("Nightly rescore")


class ScoreChange(models.Model):
    """Each time an application is (re)scored: by whom and why, the score it has since, the one it had, and what
    changed between them (``scoring.features.score_diff``). The application's timeline shows the rescores."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="score_changes", verbose_name=_("application")
    )
    trigger = models.CharField(_("trigger"), max_length=12, choices=ScoreTrigger.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty when the system rescored (at submission, or the nightly batch)."),
    )
    score = models.ForeignKey(ApplicationScore, on_delete=models.CASCADE, related_name="+", verbose_name=_("score"))
    previous = models.ForeignKey(
        ApplicationScore,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous score"),
    )
    changes = models.JSONField(_("what changed"), default=dict)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("score change")
        verbose_name_plural = _("score changes")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(trigger__in=ScoreTrigger.values), name="scorechange_trigger_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.trigger} {self.changes.get('band')}"


class DriftReport(models.Model):
    """PSI of every feature and of the PD, recent scores against training. 0.10 watch, 0.25 act."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="drift_reports")
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True, db_index=True)
    window_days = models.PositiveSmallIntegerField(_("window (days)"))
    rows = models.PositiveIntegerField(_("rows"))
    psi = models.JSONField(_("PSI by feature"))
    max_psi = models.FloatField(_("largest PSI"))
    alarm = models.BooleanField(_("alarm (PSI ≥ 0.25)"), default=False)

    class Meta:
        verbose_name = _("drift report")
        verbose_name_plural = _("drift reports")
        ordering = ["-computed_at"]

    def __str__(self) -> str:
        return f"{self.model_version} {self.computed_at:%Y-%m-%d} max PSI {self.max_psi:.3f}"


class BatchRun(models.Model):
    """One fanned-out scoring run (the nightly rescore): its applications split into chunks, each a task of its
    own, so the run spreads over every worker and a chunk lost with a killed worker is redone alone. The counters
    move as chunks finish; the last one closes the run."""

    # The nightly run's key ("nightly-2026-12-07"): a redelivered start finds the run it already opened.
    key = models.CharField(_("key"), max_length=40, unique=True, null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total = models.PositiveIntegerField(_("applications"))
    chunks_total = models.PositiveIntegerField(_("chunks"))
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    done = models.PositiveIntegerField(_("applications done"), default=0)
    written = models.PositiveIntegerField(_("scores written"), default=0)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(chunks_done__lte=models.F("chunks_total")), name="run_chunks_le_total"),
            models.CheckConstraint(condition=Q(done__lte=models.F("total")), name="run_done_le_total"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk}: {self.done}/{self.total}"


class BatchChunk(models.Model):
    """A slice of a run's applications, scored by one task; ``done_at`` makes a redelivered task a no-op."""

    run = models.ForeignKey(BatchRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField(_("sequence"))
    application_ids = models.JSONField(_("applications"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    written = models.PositiveIntegerField(_("scores written"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("scoring chunk")
        verbose_name_plural = _("scoring chunks")
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="chunk_seq_unique_per_run")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.seq}"


class AppraisalStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested 待评估")
    FILED = "filed", _("Filed 已出具")


class AppraisalMethod(models.TextChoices):
    MARKET = "market", _("Market approach 市场法")
    INCOME = "income", _("Income approach 收益法")
    COST = "cost", _("Cost approach 成本法")


class Appraisal(models.Model):
    """A formal appraisal the lending bank asks an appraisal firm for, on the assets an application pledges: the
    firm files the value, its method, its fee and the signed report, which the bank reads beside the model's range."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="appraisals", verbose_name=_("application")
    )
    appraiser = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("appraisal firm")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AppraisalStatus.choices, default=AppraisalStatus.REQUESTED
    )
    value = models.DecimalField(_("appraised value (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True)
    method = models.CharField(_("method"), max_length=12, choices=AppraisalMethod.choices, blank=True)
    fee = models.DecimalField(_("fee (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True)
    report = models.FileField(_("report"), upload_to="appraisals/", blank=True)
    report_sha256 = models.CharField(_("report SHA-256"), max_length=64, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AppraisalStatus.values), name="appraisal_status_valid"),
            models.CheckConstraint(
                condition=Q(status=AppraisalStatus.REQUESTED)
                | (Q(value__gt=0) & Q(fee__gte=0) & Q(filed_at__isnull=False)),
                name="appraisal_filed_has_value_and_fee",
            ),
            models.UniqueConstraint(
                fields=["application", "appraiser"],
                condition=Q(status=AppraisalStatus.REQUESTED),
                name="appraisal_one_open_request_per_firm",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} · {self.appraiser_id}"


class TrainingStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Training")
    REGISTERED = "registered", _("Registered as challenger")
    FAILED = "failed", _("Failed")


class BankModelTraining(models.Model):
    """A bank's risk team asked for its own pledge-risk model from a CSV of its loans: the file as uploaded (checked
    before it was accepted), what the outcome column is, and what came of the training (a model version registered
    as the bank's challenger, or the reason it failed). Trained by a task, never in the request."""

    TRANSITIONS = {
        TrainingStatus.QUEUED: {TrainingStatus.RUNNING, TrainingStatus.FAILED},
        TrainingStatus.RUNNING: {TrainingStatus.REGISTERED, TrainingStatus.FAILED},
    }

    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("bank")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    kind = models.CharField(_("kind"), max_length=30)
    target = models.CharField(_("outcome column"), max_length=100)
    bad_value = models.CharField(_("value that marks a default"), max_length=100)
    original_name = models.CharField(_("original file name"), max_length=200)
    data = models.BinaryField(_("the file as uploaded"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    bad_rows = models.PositiveIntegerField(_("rows with a default"))
    status = models.CharField(_("status"), max_length=12, choices=TrainingStatus.choices, default=TrainingStatus.QUEUED)
    error = models.CharField(_("why it failed"), max_length=500, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("model version")
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank model training")
        verbose_name_plural = _("bank model trainings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TrainingStatus.values), name="bankmodeltraining_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=TrainingStatus.REGISTERED) | Q(model_version__isnull=False),
                name="bankmodeltraining_registered_has_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_id} · {self.original_name} ({self.status})"
