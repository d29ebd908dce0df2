/* The word list of shoal.privacy.names.NameDetector.detect, built in C.
 *
 * name_tokens(parts, cache, make_info, tok_type, firsts) -> (toks, order) returns exactly what
 * shoal.privacy.names._tokens_py returns (the tests compare both on varied texts):
 *
 * - toks: one tok_type tuple (start, end, text, key, cap, initial) per word, where `parts` is
 *   _TOKEN_SPLIT.split(text) ([gap, word, gap, word, ..., gap]: the words at odd indices, every
 *   part's length adding to the next one's start) and a word's (text, key, cap, initial, length)
 *   comes from `cache`, or from make_info(word) when it is not there (which fills the cache);
 * - order: the indices of the words the detector visits alone: capitalised, an initial, or a key
 *   in `firsts` (a possible lower-case first name; any container).
 *
 * On a 2,000-token prompt the Python version spent a third of the name pass building these tuples
 * one interpreted iteration at a time. The module is optional: without a C compiler the package
 * installs without it and the Python version runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *name_tokens(PyObject *self, PyObject *args) {
    PyObject *parts, *cache, *make_info, *firsts;
    PyTypeObject *tok_type;
    if (!PyArg_ParseTuple(args, "O!O!OO!O", &PyList_Type, &parts, &PyDict_Type, &cache, &make_info,
                          &PyType_Type, &tok_type, &firsts))
        return NULL;
    if (!PyType_IsSubtype(tok_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "tok_type must be a tuple subclass");
        return NULL;
    }
    Py_ssize_t n_parts = PyList_GET_SIZE(parts);
    PyObject *toks = PyList_New(0);
    PyObject *order = PyList_New(0);
    if (toks == NULL || order == NULL)
        goto fail;
    Py_ssize_t pos = 0;
    for (Py_ssize_t i = 0; i < n_parts; i++) {
        PyObject *part = PyList_GET_ITEM(parts, i);
        if (!PyUnicode_Check(part)) {
            PyErr_SetString(PyExc_TypeError, "parts must be strings");
            goto fail;
        }
        Py_ssize_t length = PyUnicode_GET_LENGTH(part);
        if (i % 2 == 0) {
            pos += length;
            continue;
        }
        /* Held while the word's tuple is built: make_info may clear the cache when it is full. */
        PyObject *info = PyDict_GetItemWithError(cache, part);
        if (info != NULL) {
            Py_INCREF(info);
        } else {
            if (PyErr_Occurred())
                goto fail;
            info = PyObject_CallOneArg(make_info, part);
            if (info == NULL)
                goto fail;
        }
        PyObject *owned = info;
        if (!PyTuple_Check(info) || PyTuple_GET_SIZE(info) != 5) {
            Py_XDECREF(owned);
            PyErr_SetString(PyExc_TypeError, "a word's info must be a 5-tuple");
            goto fail;
        }
        PyObject *word = PyTuple_GET_ITEM(info, 0), *key = PyTuple_GET_ITEM(info, 1);
        PyObject *cap = PyTuple_GET_ITEM(info, 2), *initial = PyTuple_GET_ITEM(info, 3);
        Py_ssize_t size = PyLong_AsSsize_t(PyTuple_GET_ITEM(info, 4));
        if (size == -1 && PyErr_Occurred()) {
            Py_XDECREF(owned);
            goto fail;
        }
        PyObject *start = PyLong_FromSsize_t(pos), *end = PyLong_FromSsize_t(pos + size);
        PyObject *tok = tok_type->tp_alloc(tok_type, 6);
        if (start == NULL || end == NULL || tok == NULL) {
            Py_XDECREF(start);
            Py_XDECREF(end);
            Py_XDECREF(tok);
            Py_XDECREF(owned);
            goto fail;
        }
        PyTuple_SET_ITEM(tok, 0, start);
        PyTuple_SET_ITEM(tok, 1, end);
        PyTuple_SET_ITEM(tok, 2, Py_NewRef(word));
        PyTuple_SET_ITEM(tok, 3, Py_NewRef(key));
        PyTuple_SET_ITEM(tok, 4, Py_NewRef(cap));
        PyTuple_SET_ITEM(tok, 5, Py_NewRef(initial));
        Py_ssize_t index = PyList_GET_SIZE(toks);
        int appended = PyList_Append(toks, tok);
        Py_DECREF(tok);
        if (appended < 0) {
            Py_XDECREF(owned);
            goto fail;
        }
        int visit = PyObject_IsTrue(cap);
        if (visit == 0)
            visit = PyObject_IsTrue(initial);
        if (visit == 0)
            visit = PySequence_Contains(firsts, key); /* a set or a dict's keys */
        Py_XDECREF(owned);
        if (visit < 0)
            goto fail;
        if (visit) {
            PyObject *k = PyLong_FromSsize_t(index);
            if (k == NULL || PyList_Append(order, k) < 0) {
                Py_XDECREF(k);
                goto fail;
            }
            Py_DECREF(k);
        }
        pos += length;
    }
    return Py_BuildValue("(NN)", toks, order);
fail:
    Py_XDECREF(toks);
    Py_XDECREF(order);
    return NULL;
}

static PyMethodDef methods[] = {
    {"name_tokens", name_tokens, METH_VARARGS,
     "name_tokens(parts, cache, make_info, tok_type, firsts) -> (toks, order): see "
     "shoal.privacy.names._tokens_py."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_nametok", NULL, -1, methods};

PyMODINIT_FUNC PyInit__nametok(void) { return PyModule_Create(&module); }
