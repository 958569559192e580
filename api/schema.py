"""Every operation documents the problem-details errors it can answer with."""

from drf_spectacular.openapi import AutoSchema

from .errors import PROBLEM_CONTENT_TYPE, ProblemSerializer


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "429"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["400", "409", "422"]
        if self.path.rstrip("/").endswith("}") or "{" in self.path:
            codes.append("404")
        for code in codes:
            responses.setdefault(
                code, self._get_response_for_code(ProblemSerializer, code, [PROBLEM_CONTENT_TYPE], direction)
            )
        return responses
