"""The sentiment speed benchmark runs end to end on the toy models (timings are not checked)."""

from bench.sentiment_speed import main


def test_benchmark_runs_on_toy_models(tiny_sentiment_dir, capsys):
    result = main(
        [
            "--checkpoint-dir",
            str(tiny_sentiment_dir),
            "--classifier",
            "tiny-sentiment",
            "--trace-model",
            "tiny-sentiment-lm",
            "--chars",
            "300",
            "--repeats",
            "1",
            "--naive-repeats",
            "1",
        ]
    )
    assert result["review_chars"] == 300
    assert 0 < result["chars_read"] <= 300
    assert result["score_ms"] > 0
    assert result["naive_trace_ms"] > 0
    assert "30 ms target" in capsys.readouterr().out
