"""Text generation tab: a character LSTM writes text after a priming string."""

import gradio as gr

from playground.catalog import TEXT_GENERATION
from playground.checkpoint import CheckpointError
from playground.registry import ModelRegistry, UnknownModelError
from playground.sampling import MAX_SAMPLE_LENGTH
from playground.textgen import (
    DEFAULT_LENGTH,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    MAX_PRIME_LENGTH,
    MAX_SEED,
    MAX_TEMPERATURE,
    RANDOM_SEED,
    describe_prime_changes,
    make_sampling_options,
    model_card,
    stream_text,
)
from tabs import neuron_explorer, own_text
from tabs.errors import as_html_paragraph, user_errors
from tabs.streaming import growing_text

MAX_TOP_K = 80


def example_label(model_name: str, prime: str) -> str:
    shown = prime.replace("\n", " ").strip() or "(empty prime)"
    return f"{model_name}: {shown}"


def build(demo: gr.Blocks, registry: ModelRegistry) -> None:
    """Add the tab's components and events to ``demo``, inside the current tab."""
    model_names = registry.names(TEXT_GENERATION)
    default_model = model_names[0] if model_names else None

    def generate_text(
        prime: str,
        model_name: str = default_model,
        temperature: float = DEFAULT_TEMPERATURE,
        top_k: float = DEFAULT_TOP_K,
        length: float = DEFAULT_LENGTH,
        seed: float | None = RANDOM_SEED,
    ):
        """Stream text sampled from the chosen model after the priming text."""
        with user_errors():
            options = make_sampling_options(length, temperature, top_k, seed)
            lm = registry.get(model_name)
            _, characters = stream_text(lm, prime if prime is not None else "", options)
            yield from growing_text(characters)

    def describe_prime(prime: str, model_name: str) -> str:
        # generate_text reports bad input and broken checkpoints; this note stays empty then.
        if not isinstance(prime, str) or len(prime) > MAX_PRIME_LENGTH:
            return ""
        try:
            lm = registry.get(model_name)
        except (CheckpointError, UnknownModelError):
            return ""
        return as_html_paragraph(describe_prime_changes(lm.vocab.encode_lenient(prime)))

    def describe_model(model_name: str) -> str:
        # The card reports a broken checkpoint in place, so the page still loads.
        try:
            return model_card(registry.metadata(model_name), registry.spec(model_name).title)
        except (CheckpointError, UnknownModelError) as exc:
            return as_html_paragraph(f"Model unavailable: {exc}")
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            return as_html_paragraph(f"The metadata of model {model_name} is malformed: {exc}")

    gr.Markdown(
        "A character-level LSTM predicts the next character from the ones before it. "
        "Give it a few words to start from (a speaker's name in capitals works well) and "
        "watch it write. Temperature 0 always picks the most likely character; higher values "
        "take more risks."
    )
    with gr.Row():
        with gr.Column(scale=3):
            prime = gr.Textbox(
                label="Priming text",
                lines=3,
                max_length=MAX_PRIME_LENGTH,
                placeholder="ROMEO:",
                value="ROMEO:\n",
            )
            with gr.Row():
                generate_button = gr.Button("Generate", variant="primary")
                stop_button = gr.Button("Stop", variant="stop")
            output = gr.Textbox(
                label="Generated text",
                lines=18,
                max_lines=40,
                buttons=["copy"],
                interactive=False,
                elem_classes="generated-text",
            )
            prime_notes = gr.Markdown()
        with gr.Column(scale=2):
            model_name = gr.Dropdown(model_names, value=default_model, label="Model")
            temperature = gr.Slider(
                0,
                MAX_TEMPERATURE,
                value=DEFAULT_TEMPERATURE,
                step=0.05,
                label="Temperature",
                info="0 = greedy (always the most likely character)",
            )
            top_k = gr.Slider(
                0,
                MAX_TOP_K,
                value=DEFAULT_TOP_K,
                step=1,
                label="Top-k",
                info="sample only from the k most likely characters; 0 = off",
            )
            length = gr.Slider(
                1, MAX_SAMPLE_LENGTH, value=DEFAULT_LENGTH, step=1, label="Length (characters)"
            )
            seed = gr.Number(
                value=RANDOM_SEED,
                precision=0,
                minimum=RANDOM_SEED,
                maximum=MAX_SEED,
                label="Seed",
                info="the same seed and settings give the same text; -1 = a new sample each time",
            )
            card = gr.Markdown()

    inputs = [prime, model_name, temperature, top_k, length, seed]
    generation = generate_button.click(
        generate_text, inputs, output, api_name="generate_text", concurrency_id="text_generation"
    )
    generate_button.click(
        describe_prime, [prime, model_name], prime_notes, api_visibility="private"
    )
    stop_button.click(None, None, None, cancels=[generation])
    model_name.change(describe_model, model_name, card, api_visibility="private")
    demo.load(describe_model, model_name, card, api_visibility="private")
    examples = [[text, name] for name in model_names for text in registry.spec(name).examples]
    if examples:
        gr.Examples(
            examples,
            inputs=[prime, model_name],
            label="Try a prime",
            example_labels=[example_label(name, text) for text, name in examples],
            examples_per_page=len(examples),
            cache_examples=False,
        )
    neuron_explorer.build(demo, registry, model_name)
    own_text.build()
