"""Character language models on any text, trained on a CPU with the fused kernels.

    from fastrnn.text import Corpus, TextModel
    corpus = Corpus.from_file("book.txt")                 # vocabulary from the text; last 5% validation
    model = TextModel(corpus, cell="lstm", layers=2, hidden=256, batch=32, seq=64)
    for _ in range(1000):
        loss = model.train_step()                           # nats per character
    print(model.evaluate() / math.log(2), "bits per character")
    print(model.sample(500, prime="The ", temperature=0.8))

``python -m fastrnn text train FILE`` / ``text sample CHECKPOINT`` run the same
from a shell (:mod:`fastrnn.text.cli`); :mod:`.checkpoint` saves and resumes
exactly.  Modules: :mod:`.data` (reading and encoding), :mod:`.model` (the
engine), :mod:`.checkpoint`, :mod:`.cli`.
"""
from .data import Corpus, TextError
from .model import DEFAULTS, TextModel

__all__ = ["Corpus", "TextModel", "TextError", "DEFAULTS"]
