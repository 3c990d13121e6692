"""Neuron explorer: colour a text by the activation of one LSTM cell."""

import gradio as gr
import numpy as np

from playground.checkpoint import CheckpointError
from playground.errors import InvalidInputError
from playground.neurons import (
    FEATURES,
    MAX_EXPLORER_LENGTH,
    activation_html,
    cell_activations,
    describe_cell,
    encode_for_explorer,
    find_feature_cells,
)
from playground.registry import ModelRegistry, UnknownModelError
from tabs.errors import as_html_paragraph, user_errors

# Quotes and verse lines occur in the Shakespeare vocabulary; brackets and "/" do not.
DEFAULT_TEXT = (
    "MACBETH:\n"
    "Is this a dagger which I see before me,\n"
    "The handle toward my hand? Come, let me clutch thee.\n"
    'I have thee not, and yet I see thee still. "Art thou not,\n'
    'fatal vision, sensible to feeling as to sight?" he cries;\n'
    '"or art thou but a dagger of the mind, a false creation?"\n'
)
C_EXAMPLE = (
    "static int count_nodes(struct node *root, int depth)\n"
    "{\n"
    "\tint total = 1; /* this node */\n"
    "\tif (!root)\n"
    "\t\treturn 0;\n"
    "\tfor (int i = 0; i < root->nr_children; i++) {\n"
    "\t\tif (depth > MAX_DEPTH) {\n"
    '\t\t\tpr_warn("tree too deep at %d (%s)\\n", depth, root->name);\n'
    "\t\t\tbreak;\n"
    "\t\t}\n"
    "\t\ttotal += count_nodes(root->children[i], depth + 1);\n"
    "\t}\n"
    "\treturn total; // all nodes below root\n"
    "}\n"
)
URL_EXAMPLE = (
    "# The mirror list lives at https://example.org/mirrors/list.txt and is\n"
    "# refreshed nightly; see also http://example.com/docs/?page=mirrors for\n"
    "# the format (one URL per line).\n"
)
LATEX_EXAMPLE = (
    "\\begin{theorem}\\label{thm:sum}\n"
    "For every integer $n \\geq 1$ we have $\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$.\n"
    "\\end{theorem}\n"
    "\\begin{proof}\n"
    "By induction on $n$. For $n = 1$ both sides equal $1$. If the claim holds for $n$, then\n"
    "\\[ \\sum_{k=1}^{n+1} k = \\frac{n(n+1)}{2} + (n + 1) = \\frac{(n+1)(n+2)}{2}, \\]\n"
    "which is the claim for $n + 1$ (see \\cite{knuth} for other proofs).\n"
    "\\end{proof}\n"
)
EXPLORER_EXAMPLES = [
    (DEFAULT_TEXT, "inside quotes", "shakespeare"),
    (DEFAULT_TEXT, "position in line", "shakespeare"),
    (C_EXAMPLE, "bracket depth", "linux-c"),
    (C_EXAMPLE, "inside a C comment", "linux-c"),
    (URL_EXAMPLE, "inside a URL", "python"),
    (LATEX_EXAMPLE, "inside LaTeX math", "latex"),
    (LATEX_EXAMPLE, "bracket depth", "latex"),
]
# When a surveyed cell is chosen and the text at hand lacks its feature, this text shows it.
TEXT_FOR_FEATURE = {
    "inside quotes": DEFAULT_TEXT,
    "bracket depth": C_EXAMPLE,
    "inside a URL": URL_EXAMPLE,
    "position in line": DEFAULT_TEXT,
    "inside a C comment": C_EXAMPLE,
    "inside LaTeX math": LATEX_EXAMPLE,
}
SURVEY_HEADERS = ["feature", "cell", "where", "correlation", "characters read"]
TOP_CELLS = 8


def describe_dropped(dropped: list[str]) -> str:
    """Return an escaped HTML note naming the characters the model could not read."""
    if not dropped:
        return ""
    shown = " ".join(repr(ch) for ch in dropped[:20])
    return as_html_paragraph(f"Not in the model vocabulary, so left out: {shown}")


def survey_rows(metadata: dict) -> list[list]:
    """Return the table rows of a model's cell survey, in FEATURES order ([] without one)."""
    survey = (metadata.get("cell_survey") or {}).get("features") or {}
    hidden = int(metadata["config"]["hidden_size"])
    rows = []
    for feature in FEATURES:
        result = survey.get(feature) or {}
        for cell, r in result.get("cells", []):
            rows.append([feature, int(cell), describe_cell(int(cell), hidden), r, result["chars"]])
    return rows


def build(demo: gr.Blocks, registry: ModelRegistry, model_name: gr.Dropdown) -> None:
    """Add the explorer, reading the model chosen in ``model_name``, to the current layout."""

    def list_surveyed_cells(model: str):
        # Like the model card, a broken checkpoint is reported in place so the page still loads.
        try:
            rows = survey_rows(registry.metadata(model))
        except (CheckpointError, UnknownModelError) as exc:
            return [], as_html_paragraph(f"Model unavailable: {exc}")
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            return [], as_html_paragraph(f"The metadata of model {model} is malformed: {exc}")
        if not rows:
            return [], as_html_paragraph(
                f"No cell survey is recorded for {model}; run python -m playground.survey_cells "
                "on its checkpoint and held-out text to make one."
            )
        return rows, ""

    def show_surveyed_cell(text: str, model: str, evt: gr.SelectData):
        with user_errors():
            feature_name, cell_index = evt.row_value[0], int(evt.row_value[1])
            if feature_name not in FEATURES:
                raise InvalidInputError(f"Unknown feature {feature_name!r}.")
            lm = registry.get(model)
            read_text, ids, dropped = encode_for_explorer(lm, text)
            if np.ptp(FEATURES[feature_name](read_text)) == 0:
                # The text at hand cannot show this feature; switch to one that does.
                text = TEXT_FOR_FEATURE[feature_name]
                read_text, ids, dropped = encode_for_explorer(lm, text)
            activations = cell_activations(lm.stepper_weights, ids)
            return (
                text,
                feature_name,
                cell_index,
                activation_html(read_text, activations[:, cell_index]),
                describe_dropped(dropped),
            )

    def find_cells(text: str, model: str, feature: str):
        with user_errors():
            lm = registry.get(model)
            read_text, activations, cells, dropped = find_feature_cells(
                lm, text, feature, TOP_CELLS
            )
            hidden = lm.stepper_weights.hidden_size
            rows = [[index, describe_cell(index, hidden), round(r, 3)] for index, r in cells]
            best = cells[0][0]
            colours = activation_html(read_text, activations[:, best])
            return rows, best, colours, describe_dropped(dropped)

    def show_cell(text: str, model: str, cell: float):
        with user_errors():
            lm = registry.get(model)
            total = lm.stepper_weights.num_layers * lm.stepper_weights.hidden_size
            if cell is None or cell != int(cell) or not 0 <= cell < total:
                raise InvalidInputError(f"Cell must be a whole number from 0 to {total - 1}.")
            read_text, ids, dropped = encode_for_explorer(lm, text)
            activations = cell_activations(lm.stepper_weights, ids)
            return activation_html(read_text, activations[:, int(cell)]), describe_dropped(dropped)

    with gr.Accordion("What do single cells track?", open=False):
        gr.Markdown(
            "Some cells of a character LSTM follow the structure of the text: whether it is "
            "inside quotes, how deep the brackets are nested, how far along the line it is. "
            "Pick a feature to rank the cells by how strongly they correlate with it, then "
            "see one cell's activation on every character (red positive, blue negative). "
            "A model can only track what its vocabulary contains: the Shakespeare model has "
            "no brackets, so try quotes and line position with it."
        )
        with gr.Row():
            text = gr.Textbox(
                DEFAULT_TEXT, label="Text to read", lines=6, max_length=MAX_EXPLORER_LENGTH, scale=3
            )
            with gr.Column(scale=1):
                feature = gr.Dropdown(list(FEATURES), value="position in line", label="Feature")
                find_button = gr.Button("Find cells")
                cell = gr.Number(label="Cell to show", precision=0, minimum=0)
                show_button = gr.Button("Show cell")
        gr.Markdown(
            "**Found automatically.** The cells that track each feature best on the model's "
            "held-out text, measured when it was trained. Click a row to see that cell at work. "
            "A feature that never changes in that text (the held-out plays have no double "
            "quotes, for example) is not listed, and a correlation near 0 means that no cell "
            "tracks it; the last column says how much text the correlation rests on."
        )
        survey_table = gr.Dataframe(
            headers=SURVEY_HEADERS,
            interactive=False,
            label="Best cells of this model for every feature",
        )
        survey_note = gr.Markdown()
        cells_table = gr.Dataframe(
            headers=["cell", "where", "correlation"],
            interactive=False,
            label="Cells that track the feature best",
        )
        dropped_note = gr.Markdown()
        coloured = gr.HTML()
        examples = [
            [text_value, feature_name, model]
            for text_value, feature_name, model in EXPLORER_EXAMPLES
            if model in registry.names()
        ]
        if examples:
            gr.Examples(
                examples,
                inputs=[text, feature, model_name],
                label="Texts with structure to track",
                example_labels=[f"{model}: {name}" for _, name, model in examples],
                cache_examples=False,
            )
    find_button.click(
        find_cells,
        [text, model_name, feature],
        [cells_table, cell, coloured, dropped_note],
        api_visibility="private",
    )
    show_button.click(
        show_cell, [text, model_name, cell], [coloured, dropped_note], api_visibility="private"
    )
    survey_table.select(
        show_surveyed_cell,
        [text, model_name],
        [text, feature, cell, coloured, dropped_note],
        api_visibility="private",
    )
    gr.on(
        [model_name.change, demo.load],
        list_surveyed_cells,
        model_name,
        [survey_table, survey_note],
        api_visibility="private",
    )
    # Results of "Find cells" belong to the previous model; clear them.
    model_name.change(
        lambda: ([], None, "", ""),
        None,
        [cells_table, cell, coloured, dropped_note],
        api_visibility="private",
    )
